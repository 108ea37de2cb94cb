"""The OpenAPI 3 document, generated from the same marshmallow schemas the views load with.

Each view states its contract with :func:`documented`; :func:`build_spec` walks the URL map
and turns those statements into ``/api/openapi.json``. ``/api/docs`` serves Swagger UI from
the ``swagger-ui-bundle`` package (installed with the service: nothing comes from a CDN).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import swagger_ui_bundle
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory
from marshmallow import Schema

from creditbank.api.schemas import (
    cohorts,
    evaluations,
    members,
    outcomes,
    records,
    transcripts,
    witnesses,
)
from creditbank.api.schemas import delegations as delegation_schemas
from creditbank.api.schemas import operations as operation_schemas
from creditbank.api.schemas import rights as rights_schemas
from creditbank.api.schemas.problems import ProblemOut

F = TypeVar("F", bound=Callable[..., Any])
COUNT = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


def choice(*values: str) -> dict[str, Any]:
    """A query parameter taking one of ``values``."""
    return {"type": "string", "enum": list(values)}


_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
blueprint = Blueprint("openapi", __name__, url_prefix="/api")


@dataclass(frozen=True)
class Contract:
    """What one operation takes and gives."""

    summary: str
    status: int = 200
    request: type[Schema] | str | None = None
    response: type[Schema] | str | None = None
    auth: str = "none"  # none | optional | bearer
    query: tuple[tuple[str, dict[str, Any], bool], ...] = ()  # (name, JSON schema, required)
    headers: tuple[tuple[str, bool], ...] = ()  # (name, required)
    errors: tuple[int, ...] = field(default=(400,))
    also: tuple[tuple[int, type[Schema]], ...] = ()  # other successful answers: (status, schema)


def documented(summary: str, **kwargs: Any) -> Callable[[F], F]:
    """Attach an OpenAPI contract to a view function."""

    def attach(view: F) -> F:
        view.openapi_contract = Contract(summary, **kwargs)  # type: ignore[attr-defined]
        return view

    return attach


def _ref(spec: APISpec, schema: type[Schema] | str) -> dict[str, Any]:
    name = schema if isinstance(schema, str) else schema.__name__
    return {"$ref": f"#/components/schemas/{name}"}


def _record_item_components(spec: APISpec) -> None:
    """``RecordItem``, which ``RecordBatchIn`` lists: ``learner_id`` and one outcome kind."""
    for kind, schema in outcomes.SCHEMAS.items():
        spec.components.schema(f"{kind.capitalize()}Outcome", schema=schema)
    variants = []
    for kind, item in outcomes.ITEM_SCHEMAS.items():
        spec.components.schema(f"{kind.capitalize()}Item", schema=item)
        variants.append({"$ref": f"#/components/schemas/{kind.capitalize()}Item"})
    spec.components.schema("RecordItem", {"oneOf": variants})


def _operation(spec: APISpec, contract: Contract, path_params: list[str]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_params
    ]
    parameters += [
        {"name": name, "in": "query", "required": required, "schema": schema}
        for name, schema, required in contract.query
    ]
    parameters += [
        {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}
        for name, required in contract.headers
    ]
    problem = {"application/problem+json": {"schema": _ref(spec, ProblemOut)}}
    responses: dict[str, Any] = {}
    if contract.response is None:
        responses[str(contract.status)] = {"description": contract.summary}
    elif contract.response == "zip":
        responses[str(contract.status)] = {
            "description": contract.summary,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    elif contract.response in ("text", "csv"):
        mimetype = "text/plain" if contract.response == "text" else "text/csv"
        responses[str(contract.status)] = {
            "description": contract.summary,
            "content": {mimetype: {"schema": {"type": "string"}}},
        }
    else:
        responses[str(contract.status)] = {
            "description": contract.summary,
            "content": {"application/json": {"schema": _ref(spec, contract.response)}},
        }
    for status, schema in contract.also:
        responses[str(status)] = {
            "description": schema.__doc__ or contract.summary,
            "content": {"application/json": {"schema": _ref(spec, schema)}},
        }
    codes = set(contract.errors) | {413, 429, 500}
    if contract.auth == "bearer":
        codes |= {401, 403}
    if contract.auth == "optional":
        codes |= {401, 403}
    if contract.request is not None:
        codes |= {400, 415}
    for code in sorted(codes):
        responses[str(code)] = {"description": "a problem document", "content": problem}
    operation: dict[str, Any] = {"summary": contract.summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if contract.request == "text":
        operation["requestBody"] = {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    elif contract.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(spec, contract.request)}},
        }
    if contract.auth == "bearer":
        operation["security"] = [{"bearer": []}]
    elif contract.auth == "optional":
        operation["security"] = [{"bearer": []}, {}]
    return operation


def build_spec(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI document of every documented view of ``app``."""
    spec = APISpec(
        title="creditbank",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "学分银行: member institutions, learners, records and the public log."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ProblemOut", schema=ProblemOut)
    _record_item_components(spec)
    published = members.PUBLISHED + records.PUBLISHED + evaluations.PUBLISHED + cohorts.PUBLISHED
    extra = transcripts.PUBLISHED + witnesses.PUBLISHED + operation_schemas.PUBLISHED
    extra += delegation_schemas.PUBLISHED + rights_schemas.PUBLISHED
    for schema in published + extra:
        spec.components.schema(schema.__name__, schema=schema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        contract: Contract | None = getattr(view, "openapi_contract", None)
        if contract is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        params = _PATH_PARAM.findall(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(spec, contract, params)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    """Serve the OpenAPI document."""
    cached = current_app.extensions.get("creditbank.openapi")
    if cached is None:
        cached = current_app.extensions["creditbank.openapi"] = build_spec(current_app)
    return jsonify(cached)


_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
_DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>creditbank API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="docs/static/swagger-ui-bundle.js"></script>
<script src="docs/static/docs-init.js"></script></body></html>
"""
_INIT = "window.ui = SwaggerUIBundle({url: '/api/openapi.json', dom_id: '#ui'});\n"


@blueprint.get("/docs")
def docs() -> Response:
    """Serve the interactive API documentation page."""
    return Response(_DOCS_PAGE, mimetype="text/html")


@blueprint.get("/docs/static/<path:name>")
def docs_static(name: str) -> Response:
    """Serve Swagger UI's files from the installed package."""
    if name == "docs-init.js":
        return Response(_INIT, mimetype="text/javascript")
    return send_from_directory(_SWAGGER, name)
