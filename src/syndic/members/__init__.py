"""Members, their mandates, works, rights holders and shares."""
