"""The load and fault test behind ``scripts/loadtest``.

gunicorn with 4 workers on PostgreSQL, concurrent clients posting record batches, a worker
killed and PostgreSQL restarted mid-run, then every promise checked: each acknowledged record
present once, no batch half-written, the log verifies, checkpoints stay consistent.
"""
