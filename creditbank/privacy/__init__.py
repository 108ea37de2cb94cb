"""A learner's rights over their data: closing an account, erasure, and retention."""
