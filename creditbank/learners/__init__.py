"""Learner accounts (学习账户): opening, sign-in and consent."""
