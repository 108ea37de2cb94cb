"""A small populated bank for API tests: two institutions, every role, two learners."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.identity.documents import check_digit
from creditbank.identity.principals import Role
from creditbank.institutions.clients import CONSOLE, issue_client
from creditbank.wiring import Services

PASSWORD = "chongqing-2026"


def resident_id(birth: str = "20050312", sequence: str = "123", area: str = "500105") -> str:
    """A valid 居民身份证 number (the check digit computed)."""
    first17 = area + birth + sequence
    return first17 + check_digit(first17)


def bearer(secret: str | None) -> dict[str, str]:
    """Authorization header for a secret (none for None)."""
    return {} if secret is None else {"Authorization": f"Bearer {secret}"}


def course(**overrides: Any) -> dict[str, Any]:
    """A valid course outcome."""
    item: dict[str, Any] = {
        "kind": "course",
        "course_code": "JX101",
        "title_zh": "机械制图",
        "title_en": "Mechanical Drawing",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": "2024-2025-1",
        "hours": 64,
        "credits": "4",
        "grade": {"scale": "percent", "value": "86"},
        "completed_on": "2025-01-10",
    }
    item.update(overrides)
    return item


@dataclass
class World:
    """Keys of every role at institutions A and B, and two learners with tokens."""

    client: FlaskClient
    services: Services
    keys: dict[str, str] = field(default_factory=dict)
    learners: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)

    def post(self, path: str, who: str | None, body: Any, **headers: str) -> Any:
        """POST JSON as ``who`` (a key name, a learner name, or None)."""
        return self.client.post(path, json=body, headers={**bearer(self.secret(who)), **headers})

    def get(self, path: str, who: str | None) -> Any:
        """GET as ``who``."""
        return self.client.get(path, headers=bearer(self.secret(who)))

    def secret(self, who: str | None) -> str | None:
        """The bearer secret of ``who``."""
        if who is None:
            return None
        return self.keys.get(who) or self.tokens[who]

    def size(self) -> int:
        """The ledger's size now."""
        return self.services.ledger.head().size


def build_world(client: FlaskClient, services: Services) -> World:
    """Register A (重庆) and B (四川), issue every role, open and sign in two learners.

    Keys come as they do in production: the operator issues each institution's bootstrap key,
    which the institution exchanges for its own admin key; that admin issues the others.
    """
    world = World(client, services)
    _, secret = issue_client(
        services.ledger, None, Role.ADMIN, "operator", by=CONSOLE, now=utc_now()
    )
    world.keys["operator"] = secret.text
    for code, name, region in (
        ("CQ-GZ-001", "重庆工程职业技术学院", "重庆"),
        ("SC-GZ-001", "四川工程职业技术学院", "四川"),
    ):
        answer = world.post(
            "/api/v1/institutions",
            "operator",
            {
                "code": code,
                "name_zh": name,
                "name_en": f"{code} College",
                "kind": "gaozhi_college",
                "level": "gaozhi",
                "region": region,
            },
        )
        assert answer.status_code == 201, answer.get_json()
        letter = "A" if code.startswith("CQ") else "B"
        world.keys[f"bootstrap{letter}"] = issue_bootstrap(world, code)
        for role, by in (("admin", "bootstrap"), ("poster", "admin"), ("registrar", "admin")):
            issued = world.post(
                f"/api/v1/institutions/{code}/clients",
                f"{by}{letter}",
                {"role": role, "label": role},
            )
            assert issued.status_code == 201, issued.get_json()
            assert issued.get_json()["status"] == "active", issued.get_json()
            world.keys[f"{role}{letter}"] = issued.get_json()["secret"]
    for name, sequence in (("li", "123"), ("wang", "246")):
        number = resident_id(sequence=sequence)
        world.documents[name] = number
        opened = world.post(
            "/api/v1/learners",
            "posterA",
            {
                "name": "李明" if name == "li" else "王芳",
                "document": {"kind": "resident_id", "number": number},
            },
        )
        assert opened.status_code == 201, opened.get_json()
        world.learners[name] = opened.get_json()["id"]
        activated = world.post(
            "/api/v1/learners/activate",
            None,
            {
                "document": {"kind": "resident_id", "number": number},
                "activation_code": opened.get_json()["activation_code"],
                "password": PASSWORD,
            },
        )
        assert activated.status_code == 200, activated.get_json()
        token = world.post(
            "/api/v1/sessions",
            None,
            {"document": {"kind": "resident_id", "number": number}, "password": PASSWORD},
        )
        assert token.status_code == 201, token.get_json()
        world.tokens[name] = token.get_json()["token"]
    return world


def issue_bootstrap(world: World, code: str) -> str:
    """The operator issues an institution's bootstrap admin key; return its secret."""
    issued = world.post(
        f"/api/v1/institutions/{code}/clients", "operator", {"role": "admin", "label": "bootstrap"}
    )
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["status"] == "bootstrap", issued.get_json()
    return str(issued.get_json()["secret"])


def today() -> date:
    """Today in UTC."""
    return utc_now().date()
