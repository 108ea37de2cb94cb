"""Storage: database engines, transactions and schema migrations (SQLite and PostgreSQL)."""
