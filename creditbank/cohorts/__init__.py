"""Cohort evaluations: a registrar's batch of what-if evaluations, run in the background."""

MAX_LEARNERS = 50_000
"""The most learners one cohort job may hold."""
