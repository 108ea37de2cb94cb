"""The dashboard (数据可视化驾驶舱): key indicators as figures, charts and tables.

Public: every figure is an aggregate, and none names a learner. Each chart is an SVG drawn on
the server from the same figures as the table next to it (which screen readers read). The
figures come from the snapshot the ``dashboard`` job refreshes, and each chart is drawn once
per snapshot and language in each process: a page view costs a row read, not a pass over
every record.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template

from creditbank.clock import utc_now
from creditbank.indicators.service import Indicators
from creditbank.indicators.snapshot import Snapshot, latest, stored
from creditbank.institutions.service import institution_names
from creditbank.records.vocabulary import (
    CertificateLevel,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Region,
    Vocabulary,
)
from creditbank.storage.database import read_connection
from creditbank.web import charts
from creditbank.web.common import not_found, web_blueprint
from creditbank.web.i18n import current_language, label, tr
from creditbank.wiring import read_engine, services
from creditbank.witness.collector.service import witnesses_of

blueprint = web_blueprint("web_dashboard", "/dashboard")


@dataclass(frozen=True)
class Table:
    """One chart's figures: a title, column headings and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _vocabulary_label(vocabulary: type[Vocabulary], value: str) -> str:
    try:
        return label(vocabulary(value))
    except ValueError:
        return value


def _level_label(key: str) -> str:
    kind, _, level = key.partition(":")
    vocabulary: type[Vocabulary] = {
        "course": Level,
        "certificate": CertificateLevel,
        "award": CompetitionLevel,
    }.get(kind, Level)
    return f"{_vocabulary_label(OutcomeKind, kind)} · {_vocabulary_label(vocabulary, level)}"


# The institutions table and chart name the most prolific posters and sum the rest in one
# row: a national bank has thousands of members, and a page (or a bar chart) of thousands of
# rows would cost every view in proportion to them and help no reader.
TOP_INSTITUTIONS = 20


def _indicators() -> tuple[Snapshot, dict[str, str]]:
    s = services()
    reads = read_engine()  # the figures tolerate lag: a replica in use answers
    kept = stored(reads) or latest(s.engine, s.policies, now=utc_now())
    shown = [code for code, _ in kept.figures.by_institution.most_common(TOP_INSTITUTIONS)]
    with read_connection(reads) as connection:
        found = institution_names(connection, shown)
    english = current_language() == "en"
    names = {code: en if english else zh for code, (zh, en) in found.items()}
    return kept, names


def _tables(figures: Indicators, names: Mapping[str, str]) -> dict[str, Table]:
    kinds = [k.value for k in OutcomeKind]
    months = list(figures.by_month)
    count = tr("条数", "records")
    tables = {
        "months": Table(
            "months",
            tr("各月登记的成果（按类别）", "Outcomes posted per month, by kind"),
            (tr("月份", "Month"), *(_vocabulary_label(OutcomeKind, k) for k in kinds)),
            tuple((m, *(str(figures.by_month[m][k]) for k in kinds)) for m in months),
        ),
        "levels": Table(
            "levels",
            tr("按层次/等级", "By level"),
            (tr("层次", "Level"), count),
            tuple((_level_label(k), str(v)) for k, v in sorted(figures.by_level.items())),
        ),
        "institutions": Table(
            "institutions",
            tr("按登记机构", "By posting institution"),
            (tr("机构", "Institution"), count),
            _top_institutions(figures, names),
        ),
        "regions": Table(
            "regions",
            tr("按地区", "By region"),
            (tr("地区", "Region"), count),
            tuple(
                (_vocabulary_label(Region, k), str(v)) for k, v in figures.by_region.most_common()
            ),
        ),
        "certificates": Table(
            "certificates",
            tr("1+X 证书（按名称与等级）", "1+X certificates by title and level"),
            (tr("证书", "Certificate"), tr("等级", "Level"), count),
            tuple(
                (title, _vocabulary_label(CertificateLevel, level), str(v))
                for (title, level), v in sorted(figures.certificates.items())
            ),
        ),
        "pathways": Table(
            "pathways",
            tr("按贯通路径的评估与认定学分", "Evaluations and credits recognised by pathway"),
            (tr("路径", "Pathway"), tr("已提交评估", "Evaluations"), tr("认定学分", "Credits")),
            tuple(
                (p, str(n), str(figures.credits_by_pathway.get(p, 0)))
                for p, n in sorted(figures.evaluations_by_pathway.items())
            ),
        ),
    }
    return tables


def _top_institutions(figures: Indicators, names: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    ranked = figures.by_institution.most_common()
    rows = [(names.get(k, k), str(v)) for k, v in ranked[:TOP_INSTITUTIONS]]
    rest = ranked[TOP_INSTITUTIONS:]
    if rest:
        others = tr(f"其他 {len(rest)} 所机构", f"{len(rest)} other institutions")
        rows.append((others, str(sum(v for _, v in rest))))
    return tuple(rows)


@blueprint.get("")
def index() -> str:
    """Figures, charts and their tables."""
    kept, names = _indicators()
    figures = kept.figures
    s = services()
    witnesses = witnesses_of(s.ledger, s.settings.witness_keys).status()
    return render_template(
        "web/dashboard.html",
        figures=figures,
        computed_at=kept.computed_at,
        tables=_tables(figures, names),
        credits_total=sum(figures.credits_by_pathway.values()),
        certificates_total=sum(figures.certificates.values()),
        evaluations_total=sum(figures.evaluations_by_pathway.values()),
        witnesses=witnesses,
    )


def _chart(table: Table) -> bytes:
    if not table.rows:
        return charts.empty(table.title, tr("暂无数据", "No data yet"))
    if table.name == "months":
        series = {
            heading: [int(row[i + 1]) for row in table.rows]
            for i, heading in enumerate(table.columns[1:])
        }
        return charts.stacked(table.title, [row[0] for row in table.rows], series)
    if table.name == "certificates":
        levels = sorted({row[1] for row in table.rows})
        titles = sorted({row[0] for row in table.rows})
        counts = {(row[0], row[1]): int(row[2]) for row in table.rows}
        series = {lv: [counts.get((t, lv), 0) for t in titles] for lv in levels}
        return charts.stacked(table.title, titles, series)
    if table.name == "pathways":
        return charts.bars(table.title, {row[0]: float(row[2]) for row in table.rows})
    return charts.bars(table.title, {row[0]: int(row[1]) for row in table.rows})


# (chart, language, snapshot time) -> SVG: drawn once per snapshot in each process.
_DRAWN: OrderedDict[tuple[str, str, datetime], bytes] = OrderedDict()
_DRAWN_LOCK = threading.Lock()
_DRAWN_KEPT = 64


@blueprint.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    """One chart as an SVG document, drawn from the current snapshot."""
    kept, names = _indicators()
    key = (name, current_language(), kept.computed_at)
    with _DRAWN_LOCK:
        svg = _DRAWN.get(key)
    if svg is None:
        table = _tables(kept.figures, names).get(name)
        if table is None:
            not_found()
        assert table is not None
        svg = _chart(table)
        with _DRAWN_LOCK:
            _DRAWN[key] = svg
            while len(_DRAWN) > _DRAWN_KEPT:
                _DRAWN.popitem(last=False)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
