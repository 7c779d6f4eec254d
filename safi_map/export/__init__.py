"""Exports for events and partners: posters, data·inclusion, data files."""
