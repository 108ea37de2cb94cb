"""The JSON-LD contexts a transcript names, and the project's own context shipped in the package.

The project's context (``contexts/creditbank-v1.jsonld``) defines every term the standard
contexts lack, each as an absolute IRI in the project's vocabulary; the service publishes it
at :data:`CREDITBANK_CONTEXT` (``GET /contexts/v1``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CREDITBANK_CONTEXT = "https://creditbank.cq.edu.cn/contexts/v1"
CONTEXT_FILE = "creditbank-v1.jsonld"
CONTEXT_MEDIA_TYPE = "application/ld+json"


@cache
def creditbank_context_bytes() -> bytes:
    """The project's context file, byte for byte as shipped."""
    return resources.files("creditbank.transcripts").joinpath("contexts", CONTEXT_FILE).read_bytes()


@cache
def creditbank_terms() -> frozenset[str]:
    """The terms the project's context defines."""
    document: dict[str, Any] = json.loads(creditbank_context_bytes())
    return frozenset(key for key in document["@context"] if not key.startswith("@"))
