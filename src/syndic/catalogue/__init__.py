"""Importing a catalogue: manifests, directories, feeds and sitemaps, scholarly records."""
