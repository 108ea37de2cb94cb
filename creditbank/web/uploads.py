"""The checked upload waiting in the session, read again the same way when it is posted.

The file's bytes are kept (base64, in the server-side session), not its decoded text: the
post, and the bad-rows report, read exactly what was checked, in its own format. They hold
names and identity numbers, so the session keeps them sealed, bound to the institution: a
sealed upload moved into another institution's session does not open.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import session

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.sealing import FieldSealer, SealError
from creditbank.imports.columns import BY_KIND, IDENTITY, ColumnInfo
from creditbank.imports.reasons import column_in, reason_in
from creditbank.imports.tabular import Table, read_table
from creditbank.records.vocabulary import OutcomeKind
from creditbank.web.i18n import current_language, tr

UPLOAD = "upload"  # the session key of a checked file waiting to be posted


def _context(institution: str) -> str:
    return f"pending-upload:{institution}"


def remember_upload(sealer: FieldSealer, institution: str, name: str, raw: bytes) -> None:
    """Keep a checked file, sealed, until it is posted."""
    kept = {"name": name, "raw": base64.b64encode(raw).decode("ascii")}
    session[UPLOAD] = sealer.seal(json.dumps(kept), context=_context(institution))


def _pending(sealer: FieldSealer, institution: str, *, forget: bool) -> dict[str, str]:
    sealed = session.pop(UPLOAD, None) if forget else session.get(UPLOAD)
    try:
        pending = json.loads(sealer.open(str(sealed), context=_context(institution)))
        if not isinstance(pending, dict):
            raise ValueError
        return {"name": str(pending["name"]), "raw": str(pending["raw"])}
    except (SealError, KeyError, ValueError):
        raise InvalidInput(
            tr("没有待提交的文件，请重新上传", "no checked file is waiting: upload it again"),
            problems=[FieldProblem("file", "upload first")],
        ) from None


def remembered_upload(sealer: FieldSealer, institution: str, *, forget: bool = False) -> Table:
    """The checked file, read again; ``forget`` drops it from the session (it is posted)."""
    pending = _pending(sealer, institution, forget=forget)
    try:
        raw = base64.b64decode(pending["raw"], validate=True)
    except binascii.Error:
        raise InvalidInput(
            tr("没有待提交的文件，请重新上传", "no checked file is waiting: upload it again"),
            problems=[FieldProblem("file", "upload first")],
        ) from None
    return read_table(raw, pending["name"])


def remembered_name(sealer: FieldSealer, institution: str) -> str:
    """The checked file's name (for the report's name)."""
    try:
        return _pending(sealer, institution, forget=False)["name"]
    except InvalidInput:
        return "upload"


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
