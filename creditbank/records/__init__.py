"""Outcome records: the vocabulary, grade scales, the four outcome kinds, and posting them."""
