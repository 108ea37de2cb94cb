"""Every table of the service, gathered into one metadata for migrations."""

from __future__ import annotations

from sqlmodel import SQLModel

import creditbank.ledger.tables as _ledger_tables

metadata = SQLModel.metadata
MODULES = (_ledger_tables,)
