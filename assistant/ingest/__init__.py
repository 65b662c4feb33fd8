"""Ingest: load, clean, split into sentences and chunks, extract structured facts."""
