"""Backups: a consistent export of every table to JSON lines, and a checked restore."""
