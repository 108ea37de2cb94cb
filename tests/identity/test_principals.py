"""Principals: who is an operator, and the actor each writes into the public log."""

from __future__ import annotations

import pytest

from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Role


@pytest.mark.parametrize(
    ("institution", "role", "operator", "actor"),
    [
        # The bank's keys act as their operator, named by key id (never a label or a name).
        (None, Role.ADMIN, True, "operator:0123456789abcdef"),
        (None, Role.POSTER, False, "operator:0123456789abcdef"),
        ("CQ-GZ-001", Role.ADMIN, False, "institution:CQ-GZ-001"),
        ("CQ-GZ-001", Role.REGISTRAR, False, "institution:CQ-GZ-001"),
    ],
)
def test_client_principals(institution: str | None, role: Role, operator: bool, actor: str) -> None:
    principal = ClientPrincipal("0123456789abcdef", institution, role)
    assert (principal.is_operator, principal.actor) == (operator, actor)


def test_a_learner_is_one_anonymous_actor_in_the_log() -> None:
    first = LearnerPrincipal("learner-1", "0123456789abcdef")
    second = LearnerPrincipal("learner-2", "fedcba9876543210")
    assert first.actor == second.actor == "learner"
    assert "learner-1" not in first.actor
