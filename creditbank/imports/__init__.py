"""Bulk input from files (an edge, like the HTTP API): registry offices' CSV exports."""
