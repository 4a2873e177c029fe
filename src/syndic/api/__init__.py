"""The REST API (FastAPI) over the same service layer as the CLI."""
