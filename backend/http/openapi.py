"""The OpenAPI document as a client generator reads it.

Each operation's error answers are derived from what the route really is, by a Litestar
``ReceiveRoutePlugin`` that looks at every route as it is registered:

- every request passes ``refuse_bad_input`` (and Litestar's parsing): 400;
- a ``requires(...)`` guard: the ``bearer`` security scheme, 401, and 403 unless every role
  may call it; a ``rate_limit(...)`` guard: 429 with ``Retry-After``;
- a path parameter: 404 (unknown, or not the caller's); a body: 413, a multipart one 415;
- a write (not GET) on a resource of the path or with an ``Idempotency-Key``: 409; every write
  of the API: 503 ``unavailable`` with ``Retry-After``.

All of them are ``application/problem+json`` with the one ``Problem`` schema, the shape
``backend.http.errors`` answers. A route adds what only it can answer with
``responses=problems(...)`` (its own entries win). Summaries come from operation ids, and
descriptions from the handlers' docstrings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from litestar.enums import ParamType, RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import HeaderParameter
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from backend.http.dto import Dto
from backend.http.guards import Requires
from backend.http.rate_limit import RateLimit
from domain.actors import Role

__all__ = [
    "BEARER",
    "PROBLEM_JSON",
    "ContractPlugin",
    "Problem",
    "ProblemOperation",
    "openapi_config",
    "problems",
    "raw_body",
]

PROBLEM_JSON = "application/problem+json"
BEARER = "bearer"
_EVERY_ROLE = frozenset(get_args(Role)) - {"system"}

# What each status means in this API (the codes are those of ``backend.http.errors``).
MEANING: dict[int, str] = {
    400: "Invalid input (`validation_failed`): `errors` maps each field to what is wrong with it.",
    401: "No bearer token, or one that is invalid, expired or logged out (`unauthenticated`).",
    403: "The caller's role may not use this operation (`forbidden`).",
    404: "Unknown, or not the caller's (`not_found`): another citizen's resource is never shown.",
    409: (
        "Not allowed in the current state, a concurrent change won, or an Idempotency-Key was"
        " reused with another body (`invalid_state`, `conflict`, `slot_full`, ...)."
    ),
    413: "The body is too large (`too_large`).",
    415: "Not an accepted file type by its content (`unsupported_media_type`).",
    429: "Too many requests (`rate_limited`): try again after `Retry-After` seconds.",
    502: "WeChat refused the call (`upstream_error`).",
    503: (
        "`unavailable`: the database (or WeChat) cannot take this now and nothing was written;"
        " retry after `Retry-After` seconds, with the same Idempotency-Key."
    ),
}
_UPLOAD_TOO_LARGE = (
    "The file is over the size limit (`too_large`), or the caller already holds as many"
    " unused uploads as allowed (`upload_quota_exceeded`)."
)
_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=0),
    description="Seconds to wait before trying again.",
)


class Problem(Dto, frozen=True, omit_defaults=True):
    """An error (RFC 9457 problem details). ``code`` is stable for a program to act on;
    ``detail`` is meant for people; ``errors`` (on 400) maps a field path to its fault."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, str] = msgspec.field(default_factory=dict)


def problems(*statuses: int, **descriptions: str) -> dict[int, ResponseSpec]:
    """The problem+json responses of ``statuses`` (``descriptions`` as ``s409="..."``
    overrides the usual meaning), for a route's ``responses=``."""
    return _specs({s: descriptions.get(f"s{s}", MEANING.get(s, "Error")) for s in statuses})


def _specs(meaning: dict[int, str]) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            Problem, description=text, media_type=PROBLEM_JSON, generate_examples=False
        )
        for status, text in meaning.items()
    }


@dataclass
class ProblemOperation(Operation):
    """An operation whose answers are in the order of their statuses, and whose 429 and 503
    answers carry ``Retry-After``."""

    def __post_init__(self) -> None:
        if self.responses:
            self.responses = dict(sorted(self.responses.items()))
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.param_in == ParamType.PATH:
                parameter.name = camel(parameter.name)
        for status, response in (self.responses or {}).items():
            for header in (getattr(response, "headers", None) or {}).values():
                if (
                    isinstance(header, OpenAPIHeader)
                    and header.schema is None
                    and not header.content
                ):
                    header.schema = Schema(type=OpenAPIType.STRING)  # a route's own text header
            if status in {"429", "503"} and hasattr(response, "headers"):
                response.headers = {**(response.headers or {}), "Retry-After": _RETRY_AFTER}


def raw_body(media_type: str, description: str) -> type[ProblemOperation]:
    """The operation class of a route that reads its body itself (a webhook): the document
    shows the body as ``media_type`` text."""

    @dataclass
    class RawBodyOperation(ProblemOperation):
        def __post_init__(self) -> None:
            super().__post_init__()
            schema = Schema(type=OpenAPIType.STRING if "xml" in media_type else OpenAPIType.OBJECT)
            self.request_body = RequestBody(
                content={media_type: OpenAPIMediaType(schema=schema)},
                description=description,
                required=True,
            )

    return RawBodyOperation


@dataclass(frozen=True)
class _Route:
    handler: HTTPRouteHandler
    path_parameters: bool
    api: bool

    def guards(self) -> list[Any]:
        return [g for layer in self.handler.ownership_layers for g in (layer.guards or [])]

    def statuses(self) -> dict[int, str]:
        """The problems this route can answer, from what it is (status -> meaning)."""
        guards = self.guards()
        roles = [g.roles for g in guards if isinstance(g, Requires)]
        params = self.handler.parsed_fn_signature.parameters
        data = params.get("data")
        upload = data is not None and _multipart(data.kwarg_definition)
        writes = not self.handler.http_methods <= {"GET", "HEAD"}
        idempotent = any(
            isinstance(f.kwarg_definition, HeaderParameter)
            and f.kwarg_definition.name == "Idempotency-Key"
            for f in params.values()
        )
        found = {400}
        if roles:
            found.add(401)
            if any(not r >= _EVERY_ROLE for r in roles):
                found.add(403)
        if any(isinstance(g, RateLimit) for g in guards):
            found.add(429)
        if self.path_parameters:
            found.add(404)
        if writes and (data is not None or "request" in params):
            found.add(413)
        if upload:
            found.add(415)
        if writes and self.api:
            found.add(503)
            if self.path_parameters or idempotent:
                found.add(409)
        meaning = {status: MEANING[status] for status in sorted(found)}
        if upload:
            meaning[413] = _UPLOAD_TOO_LARGE
        return meaning


def _multipart(kwarg: Any) -> bool:
    return getattr(kwarg, "media_type", None) == RequestEncodingType.MULTI_PART


def camel(name: str) -> str:
    """``application_id`` -> ``applicationId``: a path parameter's name as clients see it (the
    URL is the same; Litestar names a path parameter after its handler's argument)."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _summary(operation_id: str) -> str:
    """``listMyApplications`` -> ``List my applications``."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", operation_id).lower()
    return words[:1].upper() + words[1:]


class ContractPlugin(ReceiveRoutePlugin):
    """Documents every route of the schema as it is registered (see the module doc)."""

    __slots__ = ()

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        # the document's key and the requests' path template: {applicationId}
        route.path_format = _PLACEHOLDER.sub(lambda m: "{" + camel(m[1]) + "}", route.path_format)
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            facts = _Route(handler, bool(route.path_parameters), route.path.startswith("/api/"))
            handler.responses = {**_specs(facts.statuses()), **(handler.responses or {})}
            if any(isinstance(g, Requires) for g in facts.guards()) and not handler.security:
                handler.security = [{BEARER: []}]
            if handler.operation_class is Operation:
                handler.operation_class = ProblemOperation
            if handler.summary is None and isinstance(handler.operation_id, str):
                handler.summary = _summary(handler.operation_id)


def openapi_config(render_plugins: list[OpenAPIRenderPlugin]) -> OpenAPIConfig:
    """The document's frame: the bearer scheme, docstrings as descriptions."""
    return OpenAPIConfig(
        title="onewindow",
        version="0.1.0",
        description=(
            "一网通办 backend for a WeChat mini-program. Errors are application/problem+json"
            " (`Problem`); protected operations take `Authorization: Bearer <token>` from"
            " wechat-login or staff-login. A guide for client teams: docs/api.md."
        ),
        path="/schema",
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="The token of POST /api/v1/auth/wechat-login or staff-login.",
                )
            }
        ),
        render_plugins=render_plugins,
    )
