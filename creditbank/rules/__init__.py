"""Conversion rules: policies as data (``policies/``), and the engine that applies them.

policy.py (typed policy) ← loader.py (TOML + schema) ; candidates.py (a learner's outcomes as
the engine sees them, what each rule could recognise, and why not) → assign.py (the best
assignment under caps, milp.py for large groups) → evaluate.py (the result with explanations).
"""
