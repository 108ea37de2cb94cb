"""Publishing a policy version through the service: upload, check, show the impact, confirm.

An upload (TOML or JSON, with its sample cases) is validated against the schema, checked
against the other versions of its id, dry-run against its own cases and, against the
previous published version, analysed for impact; it is then kept as a draft and nothing
else changes. Publishing the draft (a second request) is the ``policy.published`` ledger
entry holding the content hash, and stores the text, which every serving process then loads
(see :mod:`creditbank.evaluations.catalogue`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from creditbank.errors import Conflict, FieldProblem, Forbidden, NotFound
from creditbank.evaluations.catalogue import PolicyCatalogue
from creditbank.evaluations.impact import Impact, analyse
from creditbank.evaluations.service import publications, publish_policy
from creditbank.evaluations.tables import PolicyDraft
from creditbank.ledger.service import Ledger
from creditbank.rules.cases import CasesError, case_mismatches, parse_cases
from creditbank.rules.loader import FORMATS, PolicyError, parse_policy
from creditbank.rules.locate import line_of, toml_lines
from creditbank.rules.policy import Policy
from creditbank.rules.versions import ordered
from creditbank.storage.database import read_connection, write_transaction

draft_t = PolicyDraft.__table__  # type: ignore[attr-defined]

MAX_TEXT = 1_000_000  # characters of a policy or cases text


@dataclass(frozen=True)
class Uploader:
    """Who uploads: an operator (``institution`` None) or an institution's admin."""

    actor: str
    key_id: str
    institution: str | None


@dataclass(frozen=True)
class Draft:
    """An uploaded version waiting for its confirmation (or published, with its index)."""

    id: str
    policy: Policy
    format: str
    source: str
    cases: int
    impact: Impact
    uploaded_by: str
    created_at: datetime
    published_index: int | None


def _refuse(source: str, path: str, reason: str, line: int | None = None) -> PolicyError:
    where = "" if line is None else f" (line {line})"
    return PolicyError(
        f"{source}: {path}{where}: {reason}",
        problems=[FieldProblem(f"{source}:{path}", reason, line=line)],
    )


def _check_owner(uploader: Uploader, policy: Policy) -> None:
    owner = policy.programme.institution
    if uploader.institution is not None and uploader.institution != owner:
        raise Forbidden(
            f"{policy.id} is {owner}'s policy: only its admin or the bank's operators publish it"
        )


def _check_siblings(
    catalogue: PolicyCatalogue,
    engine: Engine,
    policy: Policy,
    *,
    source: str,
    text: str,
    fmt: str,
) -> list[Policy]:
    """The other versions of the id: one institution, one ``applies_by``, distinct starts."""
    lines = toml_lines(text) if fmt == "toml" else None

    def line(path: str) -> int | None:
        return None if lines is None else line_of(lines, path)

    try:
        others = [p for p in catalogue.policies(policy.id) if p.version != policy.version]
    except NotFound:
        others = []
    with read_connection(engine) as connection:
        published = publications(connection).get((policy.id, policy.version))
    if published is not None:
        if published[0] == policy.content_hash:
            raise Conflict(f"{policy.id} version {policy.version} is already published")
        raise Conflict(
            f"{policy.id} version {policy.version} was published with other content; "
            "give the changed policy a new version"
        )
    for other in others:
        if other.programme.institution != policy.programme.institution:
            raise _refuse(
                source,
                "programme.institution",
                f"the other versions of {policy.id} are {other.programme.institution}'s",
                line("programme.institution"),
            )
        if other.applies_by is not policy.applies_by:
            raise _refuse(
                source,
                "applies_by",
                f"version {other.version} applies by {other.applies_by.value}; "
                "every version of a policy applies alike",
                line("applies_by"),
            )
        if other.effective_from == policy.effective_from:
            raise _refuse(
                source,
                "effective_from",
                f"version {other.version} starts the same day",
                line("effective_from"),
            )
    return others


def _dry_run(policy: Policy, cases_text: str, cases_source: str) -> int:
    """Run the upload's own cases; any that does not hold refuses the upload."""
    if not cases_text.strip():
        raise CasesError(
            f"{cases_source}: a policy needs its sample cases",
            problems=[FieldProblem(f"{cases_source}:case", "give at least one case")],
        )
    cases = parse_cases(cases_text, cases_source)
    lines = toml_lines(cases_text)
    problems = [
        FieldProblem(
            f"{cases_source}:case.{n}", f"{case.name}: {why}", line=line_of(lines, f"case.{n}")
        )
        for n, case in enumerate(cases)
        for why in case_mismatches(policy, case)
    ]
    if problems:
        raise CasesError(
            f"{cases_source}: {len(problems)} expectations of the cases do not hold",
            problems=problems,
        )
    return len(cases)


def previous_version(engine: Engine, catalogue: PolicyCatalogue, policy: Policy) -> Policy | None:
    """The published version an upload follows.

    The latest published starting no later than it does, else the earliest published.
    """
    with read_connection(engine) as connection:
        published = publications(connection)
    try:
        loaded = catalogue.policies(policy.id)
    except NotFound:
        return None
    candidates = ordered(
        [
            p
            for p in loaded
            if p.version != policy.version
            and published.get((p.id, p.version), ("",))[0] == p.content_hash
        ]
    )
    before = [p for p in candidates if p.effective_from <= policy.effective_from]
    if before:
        return before[-1]
    return candidates[0] if candidates else None


def upload(
    engine: Engine,
    catalogue: PolicyCatalogue,
    uploader: Uploader,
    *,
    text: str,
    fmt: str,
    source: str,
    cases_text: str,
    now: datetime,
) -> Draft:
    """Validate, dry-run and analyse an uploaded version; keep it as a draft."""
    if fmt not in FORMATS:
        raise _refuse(source, "format", "toml or json")
    for name, value in ((source, text), ("cases", cases_text)):
        if len(value) > MAX_TEXT:
            raise _refuse(name, "", f"at most {MAX_TEXT} characters")
    policy = parse_policy(text, source, fmt)
    _check_owner(uploader, policy)
    _check_siblings(catalogue, engine, policy, source=source, text=text, fmt=fmt)
    stem = source.rsplit(".", 1)[0] if "." in source else source
    count = _dry_run(policy, cases_text, f"{stem}.cases.toml")
    previous = previous_version(engine, catalogue, policy)
    with read_connection(engine) as connection:
        impact = analyse(
            connection, policy, previous, show_learners=uploader.institution is not None
        )
    draft_id = str(uuid.uuid4())
    with write_transaction(engine) as connection:
        connection.execute(
            insert(draft_t).values(
                id=draft_id,
                policy_id=policy.id,
                version=policy.version,
                content_hash=policy.content_hash,
                format=fmt,
                source=source,
                content=text,
                cases=cases_text,
                owner=policy.programme.institution,
                uploaded_by=uploader.actor,
                learners_shown=uploader.institution is not None,
                impact=json.dumps(impact.as_json(), ensure_ascii=False),
                created_at=now,
            )
        )
    return Draft(draft_id, policy, fmt, source, count, impact, uploader.actor, now, None)


def impact_filename(draft: Draft) -> str:
    """The impact list's file name (the version is checked to be file-name safe)."""
    return f"impact-{draft.policy.id}-{draft.policy.version}.csv"


def _row(engine: Engine, draft_id: str) -> Any:
    with read_connection(engine) as connection:
        row = connection.execute(select(draft_t).where(draft_t.c.id == draft_id)).first()
    if row is None:
        raise NotFound(f"no policy draft {draft_id!r}")
    return row


def read_draft(engine: Engine, draft_id: str, viewer: Uploader) -> Draft:
    """A draft, for an operator or the admin of the institution owning the policy."""
    row = _row(engine, draft_id)
    if viewer.institution is not None and viewer.institution != row.owner:
        raise NotFound(f"no policy draft {draft_id!r}")
    policy = parse_policy(row.content, row.source, row.format)
    impact = Impact.from_json(json.loads(row.impact))
    if viewer.institution is None:
        impact = Impact.from_json(
            {
                **impact.as_json(),
                "changes": [{**c, "learner": None} for c in impact.as_json()["changes"]],
            }
        )
    cases = len(parse_cases(row.cases, "cases"))
    return Draft(
        row.id,
        policy,
        row.format,
        row.source,
        cases,
        impact,
        row.uploaded_by,
        row.created_at,
        row.published_index,
    )


def publish_draft(
    ledger: Ledger,
    catalogue: PolicyCatalogue,
    draft_id: str,
    publisher: Uploader,
    *,
    now: datetime,
) -> Draft:
    """Publish a draft: the ledger entry with its hash, and the text stored for every process."""
    draft = read_draft(ledger.engine, draft_id, publisher)
    if draft.published_index is not None:
        return draft
    row = _row(ledger.engine, draft_id)
    index = publish_policy(
        ledger,
        draft.policy,
        actor=publisher.actor,
        now=now,
        text=row.content,
        fmt=row.format,
        source=row.source,
        by=publisher.key_id,
    )
    with write_transaction(ledger.engine) as connection:
        connection.execute(
            update(draft_t).where(draft_t.c.id == draft_id).values(published_index=index)
        )
    catalogue.refresh(force=True)
    return read_draft(ledger.engine, draft_id, publisher)
