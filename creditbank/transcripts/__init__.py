"""Transcripts: assemble a learner's records into a signed verifiable credential, and check one.

A transcript is a W3C VC 2.0 shaped as a CLR 2.0 ``ClrCredential`` holding one Open Badges 3.0
``AchievementCredential`` per record, each with the ledger evidence that proves it is in the log.
"""
