"""Batch signatures a verifier can check from one record: the institution signs its items' tree.

A batch signed over its whole body (``Creditbank-Signature: keyid=…; sig=…``) proves
authorship only to whoever holds the whole body, which holds other learners' records. Signed
with ``; over=items``, the institution signs instead

    creditbank-batch-items/v1 LF <institution code> LF <number of items> LF <base64 root> LF

where the root is the RFC 9162 Merkle tree hash whose leaves are the RFC 8785 canonical JSON
of each item of ``records`` as posted. Each record then commits its own item, its position
and the inclusion proof, so a transcript of that record alone lets anyone check, with the
institution's key from the log, that the institution posted exactly this item, and nothing
about the other items is disclosed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.canonical import canonical_json, canonical_json_each
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.proofs import every_inclusion_proof

SCHEME = "items/v1"
_CONTEXT = b"creditbank-batch-items/v1\n"


def items_message(institution: str, size: int, root: bytes) -> bytes:
    """The bytes an institution signs for a batch of ``size`` items with tree ``root``."""
    encoded = base64.b64encode(root)
    return _CONTEXT + f"{institution}\n{size}\n".encode("ascii") + encoded + b"\n"


def item_leaf(item: Any) -> bytes:
    """The leaf hash of one posted item: RFC 9162 over its canonical JSON."""
    return hash_leaf(canonical_json(item))


@dataclass(frozen=True)
class SignedItems:
    """A batch's items as posted, the root the institution signed and each item's proof."""

    items: tuple[Any, ...]
    root: bytes
    proofs: tuple[tuple[str, ...], ...]  # base64, leaf to root, one per item

    @classmethod
    def of(cls, items: Sequence[Any]) -> SignedItems:
        """The tree of ``items`` (each a posted record, as JSON), every proof at once."""
        root, proofs = every_inclusion_proof(
            [hash_leaf(form) for form in canonical_json_each(items)]
        )
        # A subtree's hash sits in the proof of every leaf beside it: encode each one once.
        encoded: dict[bytes, str] = {}
        as_text = [
            tuple(
                encoded.get(digest) or encoded.setdefault(digest, _base64(digest))
                for digest in proof
            )
            for proof in proofs
        ]
        return cls(tuple(items), root, tuple(as_text))

    @classmethod
    def of_body(cls, body: bytes) -> SignedItems:
        """The tree of the items of a posted body ``{"records": [...]}``."""
        try:
            items = json.loads(body)["records"]
        except (ValueError, TypeError, KeyError):
            items = None
        if not isinstance(items, list) or not items:
            raise InvalidInput(
                "a batch signed over its items needs a JSON body with a records list",
                problems=[FieldProblem("records", "must be a non-empty list")],
            )
        return cls.of(items)

    def message(self, institution: str) -> bytes:
        """What the institution signed."""
        return items_message(institution, len(self.items), self.root)

    def committed(self, position: int) -> dict[str, Any]:
        """What a record's entry commits to let its signature be checked on its own."""
        return {
            "scheme": SCHEME,
            "size": len(self.items),
            "position": position,
            "item": self.items[position],
            "proof": list(self.proofs[position]),
        }


def _base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def sign_items(
    institution: str, items: Sequence[Mapping[str, Any]], sign: Callable[[bytes], bytes]
) -> bytes:
    """Sign a batch's items as an institution would (``sign``: its Ed25519 key's sign)."""
    return sign(SignedItems.of(items).message(institution))
