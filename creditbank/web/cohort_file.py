"""A cohort's results as a registry office reads them: headers in words, learners' names.

The service's CSV (``cohorts.service.results_csv``, also what the API returns) keeps its
machine-readable header; the console's download turns it into the reader's language and adds
each learner's name where the institution may still read the learner's account.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping

from creditbank.cohorts.service import HEADER, NO_CONSENT
from creditbank.imports.writing import OutgoingFile, csv_file
from creditbank.labels import Lang, label

NOT_CONSENTING = ("评估时该学习者未授权本机构评估", "no evaluate consent for this institution")


def people_file(
    results: str, names_of: Callable[[set[str]], Mapping[str, str | None]], lang: Lang
) -> OutgoingFile:
    """``results`` (the service's CSV) with worded headers and a name column after the id.

    ``names_of`` is asked once, for the learners the file holds; one it leaves out (or whose
    name was erased) gets an empty name.
    """
    rows = [row for row in csv.reader(io.StringIO(results)) if row][1:]
    names = names_of({row[0] for row in rows})
    columns = [HEADER[0], "learner_name", *HEADER[1:]]
    out: list[list[str]] = [[label(c, lang, "CohortColumn") for c in columns]]
    skipped = HEADER.index("skipped")
    for row in rows:
        if row[skipped] == NO_CONSENT:
            row[skipped] = NOT_CONSENTING[0] if lang == "zh" else NOT_CONSENTING[1]
        out.append([row[0], names.get(row[0]) or "", *row[1:]])
    return csv_file(out)
