"""Conversion rules: policies as data (``policies/``), and the engine that applies them.

policy.py (typed policy) ← loader.py (TOML + schema) ; outcomes.py (a learner's records as the
engine sees them) → candidates.py (what each rule could recognise, and why not) →
assign.py (the best assignment under caps) → evaluate.py (the result with explanations).
"""
