"""Registrars' transfer evaluations (what-if, committed, exceptions, appeals); policy publishing."""
