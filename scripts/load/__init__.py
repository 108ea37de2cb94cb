"""The load and fault test behind ``scripts/loadtest``: gunicorn with 4 workers on PostgreSQL,
concurrent clients posting record batches, a worker killed and PostgreSQL restarted mid-run,
then every promise checked (each acknowledged record once, no half batch, the log verifies)."""
