"""A record version's content at rest: sealed under its learner's data key.

``record_version.content`` holds the outcome as canonical JSON, sealed under the learner's
key (:mod:`creditbank.learners.data_keys`) and bound to the record and version, so a value
moved to another row does not open. Contents stored before migration 0019 in clear still
read until ``creditbank learners seal-data`` seals them.
"""

from __future__ import annotations

import json
from typing import Any

from creditbank.learners.data_keys import Vault


def content_context(record_id: str, version: int) -> str:
    """The sealing context of one version of a record."""
    return f"record:{record_id}:{version}"


def seal_content(box: Vault, learner: str, record_id: str, version: int, text: str) -> str:
    """Seal a version's canonical JSON under the learner's key."""
    return box.seal(learner, text, context=content_context(record_id, version))


def open_content(box: Vault, learner: str, record_id: str, version: int, stored: str) -> str:
    """The canonical JSON of a stored version (DataErased once the learner was erased)."""
    return box.open(learner, stored, context=content_context(record_id, version))


def load_content(box: Vault, learner: str, record_id: str, version: int, stored: str) -> Any:
    """The stored version's outcome as a JSON value."""
    return json.loads(open_content(box, learner, record_id, version, stored))
