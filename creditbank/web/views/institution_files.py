"""Files for registry offices: a template per outcome kind, and the bad rows of a checked file."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from flask import Response

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.identity.principals import Role
from creditbank.imports.records_csv import validate_rows
from creditbank.imports.writing import OutgoingFile, bad_rows_report, template
from creditbank.records.vocabulary import OutcomeKind
from creditbank.web.auth import signed_in
from creditbank.web.common import not_found, web_blueprint
from creditbank.web.i18n import current_language
from creditbank.web.uploads import remembered_name, remembered_upload
from creditbank.wiring import services

blueprint = web_blueprint("web_institution_files", "/institution")


def _download(file: OutgoingFile, name: str) -> Response:
    response = Response(file.body, mimetype=file.mimetype)
    # RFC 6266: an ASCII fallback and the UTF-8 name, for Chinese file names.
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/templates/<kind>.<fmt>")
def records_template(kind: str, fmt: str) -> Response:
    """An empty file headed with the columns of one outcome kind, in the page's language."""
    authorise.require_institution_member(signed_in(), Role.POSTER)
    if fmt not in ("csv", "xlsx") or kind not in {k.value for k in OutcomeKind}:
        not_found()
    lang = current_language()
    file = template(OutcomeKind(kind), lang, "csv" if fmt == "csv" else "xlsx")
    return _download(file, f"records-{kind}-{lang}.{fmt}")


@blueprint.get("/upload/bad-rows")
def bad_rows() -> Response:
    """The bad rows of the checked file, in its format, with line numbers and reasons."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    s = services()
    table = remembered_upload(s.sealer, code)
    _, problems, _ = validate_rows(s.sealer, table, today=utc_now().date())
    file = bad_rows_report(table, problems, current_language())
    stem = PurePath(remembered_name(s.sealer, code)).stem or "upload"
    return _download(file, f"{stem}.errors.{file.format}")
