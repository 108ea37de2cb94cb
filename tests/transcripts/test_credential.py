"""Pieces of a record's claims that a verifier rebuilds."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.transcripts.credential import ACHIEVEMENT_NAMESPACE, _achievement_id


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"]), max_size=12), max_size=4))
def test_achievement_ids_are_uuid5(parts: list[str]) -> None:
    expected = uuid.uuid5(ACHIEVEMENT_NAMESPACE, ":".join(parts))
    assert _achievement_id(*parts) == f"urn:uuid:{expected}"
    assert uuid.UUID(_achievement_id(*parts)[9:]).version == 5


def test_a_known_achievement_id() -> None:
    # The id every transcript has carried for this course: it must never change.
    expected = "urn:uuid:7472d834-c625-583b-8089-e2d7bf397a1c"
    assert _achievement_id("course", "CQ-GZ-001", "JX100") == expected
