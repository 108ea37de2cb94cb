"""Learner identity: documents, sealing of personal data, passwords and bearer secrets."""
