"""Every table of the service, gathered into one metadata: the schema migrations and backups know.

It sits with the composition (beside ``wiring.py``) because it imports every package's
``tables.py``; code below hands it to :mod:`creditbank.backup` rather than importing it.
"""

from __future__ import annotations

from sqlmodel import SQLModel

import creditbank.auth.tables as _auth_tables
import creditbank.cohorts.tables as _cohort_tables
import creditbank.evaluations.tables as _evaluation_tables
import creditbank.indicators.tables as _indicator_tables
import creditbank.institutions.tables as _institution_tables
import creditbank.learners.tables as _learner_tables
import creditbank.ledger.tables as _ledger_tables
import creditbank.notices.tables as _notice_tables
import creditbank.operations.tables as _operation_tables
import creditbank.records.tables as _record_tables
import creditbank.rights.tables as _rights_tables
import creditbank.transcripts.tables as _transcript_tables
import creditbank.witness.collector.tables as _cosignature_tables

metadata = SQLModel.metadata
MODULES = (
    _ledger_tables,
    _institution_tables,
    _learner_tables,
    _record_tables,
    _evaluation_tables,
    _cohort_tables,
    _transcript_tables,
    _auth_tables,
    _operation_tables,
    _cosignature_tables,
    _notice_tables,
    _indicator_tables,
    _rights_tables,
)
