"""Notices: what learners and institutions are told, in the web pages and by e-mail.

A notice is written in the same transaction as the event that causes it (a transcript
revoked, a transfer superseded, an evaluation or appeal decided, a consent about to expire, a
key issued), so there is a notice exactly when the event happened. A learner's notice also
gets an ``outbox`` row, which a scheduled job (:mod:`creditbank.operations.outbox`) sends by
e-mail when the learner gave an address: no request ever waits on a mail server.
"""
