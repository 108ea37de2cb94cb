"""A learner's rights over their data: a copy of everything, and asking for a correction."""
