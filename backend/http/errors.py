"""The one mapping from errors to RFC 9457 problems (application/problem+json) with a ``code``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.eventstore.types import CommitFailed
from backend.http.read_source import ReadModelBehind
from backend.ratelimit import RateLimited
from domain import errors as domain
from integrations.certificates import ForgedAnswer, PlatformError
from integrations.wechat import InvalidLoginCode, WeChatError, WeChatUnavailable

__all__ = ["EXCEPTION_HANDLERS", "HTTP_CODES", "problem", "status_of"]

_log = logging.getLogger(__name__)

_STATUS: dict[type[domain.DomainError], tuple[int, str]] = {
    domain.ValidationFailed: (400, "Invalid input"),
    domain.Unauthenticated: (401, "Authentication required"),
    domain.Forbidden: (403, "Forbidden"),
    domain.NotFound: (404, "Not found"),
    domain.InvalidState: (409, "Not allowed in the current state"),
    domain.ConflictError: (409, "Conflict"),
    domain.SlotFull: (409, "Slot full"),
    domain.PayloadTooLarge: (413, "Payload too large"),
    domain.QuotaExceeded: (413, "Upload quota exceeded"),
    domain.UnsupportedMediaType: (415, "Unsupported media type"),
}
# Codes for errors raised by the framework itself (routing, parsing, size limits).
HTTP_CODES = {
    400: "validation_failed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def status_of(exc: domain.DomainError) -> tuple[int, str]:
    """The HTTP status and title of a domain error (the same for the API and the console)."""
    return next((v for cls, v in _STATUS.items() if isinstance(exc, cls)), (400, "Bad request"))


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> Response[Any]:
    """A problem+json response."""
    body = {
        "type": f"https://onewindow.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status_code=status, media_type="application/problem+json")


def _domain_error(_: Request[Any, Any, Any], exc: domain.DomainError) -> Response[Any]:
    status, title = status_of(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, domain.ValidationFailed) and exc.errors:
        extra["errors"] = exc.errors
    return problem(status, title, exc.detail, exc.code, **extra)


def _rate_limited(_: Request[Any, Any, Any], exc: RateLimited) -> Response[Any]:
    response = problem(429, "Too many requests", exc.detail, exc.code)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors[str(item.get("key") or item.get("source") or "body")] = str(
                item.get("message", "")
            )
    extra = {"errors": errors} if errors else {}
    return problem(400, "Invalid input", str(exc.detail), "validation_failed", **extra)


def _http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code >= 500:
        code = "internal_error" if exc.status_code == 500 else "unavailable"
    return problem(exc.status_code, code.replace("_", " ").capitalize(), str(exc.detail), code)


def _commit_failed(_: Request[Any, Any, Any], exc: CommitFailed) -> Response[Any]:
    _log.warning("a command could not be committed: %s", exc)
    response = problem(
        503,
        "Service unavailable",
        "the database cannot take the write now; nothing was written, try again",
        "unavailable",
    )
    response.headers["Retry-After"] = "1"
    return response


def _behind(_: Request[Any, Any, Any], exc: ReadModelBehind) -> Response[Any]:
    response = problem(
        503,
        "Read model behind",
        exc.detail,
        exc.code,
        projection=exc.projection,
        position=exc.position,
    )
    response.headers["Retry-After"] = "1"
    return response


def _wechat(_: Request[Any, Any, Any], exc: WeChatError) -> Response[Any]:
    if isinstance(exc, InvalidLoginCode):
        return problem(401, "WeChat login failed", exc.errmsg, "invalid_login_code")
    _log.warning("WeChat refused a call: %s %s", exc.errcode, exc.errmsg)
    return problem(502, "WeChat error", f"WeChat answered {exc.errcode}", "upstream_error")


def _unavailable(_: Request[Any, Any, Any], exc: WeChatUnavailable) -> Response[Any]:
    _log.warning("WeChat unavailable: %s", exc)
    return problem(503, "WeChat unavailable", "WeChat cannot be reached; try again", "unavailable")


def _certificate_platform(_: Request[Any, Any, Any], exc: PlatformError) -> Response[Any]:
    # a forged or replayed answer is never believed: the same as no answer, and worth a look
    level = logging.ERROR if isinstance(exc, ForgedAnswer) else logging.WARNING
    _log.log(level, "e-certificate platform: %s: %s", type(exc).__name__, exc)
    response = problem(
        503,
        "E-certificate platform unavailable",
        "the e-certificate platform cannot confirm certificates now; try again later",
        "unavailable",
    )
    response.headers["Retry-After"] = "30"
    return response


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        "something went wrong on our side; it has been logged",
        "internal_error",
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    domain.DomainError: _domain_error,
    RateLimited: _rate_limited,
    CommitFailed: _commit_failed,
    ReadModelBehind: _behind,
    ValidationException: _validation,
    HTTPException: _http,
    WeChatError: _wechat,
    WeChatUnavailable: _unavailable,
    PlatformError: _certificate_platform,
    Exception: _unexpected,
}
