"""Production deployment: the gunicorn configuration and structured (JSON) logging."""
