"""The checked upload waiting in the session, read again the same way when it is posted.

The file's bytes are kept (base64, in the server-side session), not its decoded text: the
post, and the bad-rows report, read exactly what was checked, in its own format.
"""

from __future__ import annotations

import base64
import binascii

from flask import session

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.imports.columns import BY_KIND, IDENTITY, ColumnInfo
from creditbank.imports.reasons import column_in, reason_in
from creditbank.imports.tabular import Table, read_table
from creditbank.records.vocabulary import OutcomeKind
from creditbank.web.i18n import current_language, tr

UPLOAD = "upload"  # the session key of a checked file waiting to be posted


def remember_upload(name: str, raw: bytes) -> None:
    """Keep a checked file until it is posted."""
    session[UPLOAD] = {"name": name, "raw": base64.b64encode(raw).decode("ascii")}


def remembered_upload(*, forget: bool = False) -> Table:
    """The checked file, read again; ``forget`` drops it from the session (it is posted)."""
    pending = session.pop(UPLOAD, None) if forget else session.get(UPLOAD)
    try:
        if not isinstance(pending, dict):
            raise ValueError
        raw = base64.b64decode(str(pending["raw"]), validate=True)
        name = str(pending["name"])
    except (KeyError, ValueError, binascii.Error):
        raise InvalidInput(
            tr("没有待提交的文件，请重新上传", "no checked file is waiting: upload it again"),
            problems=[FieldProblem("file", "upload first")],
        ) from None
    return read_table(raw, name)


def remembered_name() -> str:
    """The checked file's name (for the report's name)."""
    pending = session.get(UPLOAD)
    return str(pending.get("name", "upload")) if isinstance(pending, dict) else "upload"


def reason_text(reason: str) -> str:
    """Why a row was refused, in the page's language."""
    return reason_in(current_language(), reason)


def column_text(field: str) -> str:
    """A column as the page's reader calls it."""
    return column_in(current_language(), field)


def kinds_columns() -> list[tuple[OutcomeKind, list[ColumnInfo]]]:
    """Each outcome kind with its own columns, for the upload page's description."""
    return [(kind, list(BY_KIND[kind])) for kind in OutcomeKind]


def upload_helpers() -> dict[str, object]:
    """What the upload and preview pages use to describe columns and reasons."""
    return {
        "reason_text": reason_text,
        "column_text": column_text,
        "identity_columns": IDENTITY,
        "kinds_columns": kinds_columns(),
    }
