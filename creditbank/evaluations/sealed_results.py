"""A committed evaluation's result, sealed under its learner's data key.

The result names the outcomes the evaluation read, so it is personal data: it is stored
sealed (see :mod:`creditbank.learners.data_keys`) and goes with the learner's key on erasure.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from creditbank.learners.data_keys import vault


def result_context(evaluation_id: str) -> str:
    """The sealing context of a committed evaluation's result (it names the outcomes read)."""
    return f"evaluation:{evaluation_id}:result"


def open_result(connection: Connection, learner: str, evaluation_id: str, sealed: str) -> Any:
    """The result ``sealed`` of evaluation ``evaluation_id``, opened with ``learner``'s key."""
    return json.loads(
        vault(connection).open(learner, sealed, context=result_context(evaluation_id))
    )


def read_result(connection: Connection, row: Any) -> Any:
    """A committed evaluation's stored row's result, opened with its learner's key."""
    return open_result(connection, row.learner, row.id, row.result)


def application_result_context(application_id: str) -> str:
    """The sealing context of an application's reviewed result (shown during 公示)."""
    return f"application:{application_id}:result"


def seal_application_result(
    connection: Connection, learner: str, application_id: str, body: Any
) -> str:
    """An application's reviewed result, sealed under its learner's key."""
    text = json.dumps(body, ensure_ascii=False)
    return vault(connection).seal(learner, text, context=application_result_context(application_id))


def open_application_result(
    connection: Connection, learner: str, application_id: str, sealed: str | None
) -> Any:
    """An application's reviewed result; None when it has none or its learner was erased."""
    box = vault(connection)
    if sealed is None or not box.readable(learner):
        return None
    return json.loads(box.open(learner, sealed, context=application_result_context(application_id)))
