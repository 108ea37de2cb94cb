"""Member institutions: registration, API clients with roles, and batch-signing keys."""
