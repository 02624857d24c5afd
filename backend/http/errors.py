"""The one mapping from errors to RFC 9457 problems (application/problem+json) with a ``code``."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.utils.scope.state import ScopeState

from backend.eventstore.types import CommitFailed
from backend.http.body_errors import MISSING_BODY, body_errors, chinese
from backend.http.read_source import ReadModelBehind
from backend.ratelimit import RateLimited
from domain import errors as domain
from integrations.certificates import ForgedAnswer, PlatformError
from integrations.wechat import InvalidLoginCode, WeChatError, WeChatUnavailable

__all__ = [
    "DATABASE_DOWN",
    "EXCEPTION_HANDLERS",
    "HTTP_CODES",
    "HTTP_TEXT",
    "database_down",
    "problem",
    "status_of",
]

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


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: dict[str, str] = {}
    unplaced: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("source") == "body" or not item.get("key"):
            unplaced[str(item.get("key") or "body")] = chinese(str(item.get("message", "")))
            continue
        errors[str(item["key"])] = chinese(str(item.get("message", "")))
    if unplaced or not errors:
        errors |= _every_body_error(request) or unplaced
    return _invalid(errors or {"request": chinese(str(exc.detail))})


def _invalid(errors: dict[str, str]) -> Response[Any]:
    if errors.get("body") == "缺少请求体":
        detail = MISSING_BODY
    elif errors:
        detail = f"请求有{len(errors)}处需要修改，请按提示修改"
    else:
        detail = "请求有误"
    extra = {"errors": errors} if errors else {}
    return problem(400, "Invalid input", detail, "validation_failed", **extra)


def _every_body_error(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Every field error of the body the handler expects, read from the body already received
    (our ``before_request`` hook reads every JSON body)."""
    handler = request.scope.get("route_handler")
    data = getattr(handler, "parsed_data_field", None)
    if data is None or request.method in ("GET", "HEAD"):
        return {}
    media = request.headers.get("content-type", "")
    if media and not media.startswith("application/json"):
        return {}
    raw = ScopeState.from_scope(request.scope).body
    return body_errors(raw if isinstance(raw, bytes) else b"", data.annotation)


# What the framework's own refusals say (routing, parsing, size limits), in Chinese.
HTTP_TEXT = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "没有该接口",
    405: "该接口不支持此请求方法",
    413: "请求体过大",
    415: "不支持该内容类型",
    429: "请求过于频繁，请稍后再试",
}


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 400:
        return _invalid(_every_body_error(request) or {"request": chinese(str(exc.detail))})
    if exc.status_code >= 500:
        code = "internal_error" if exc.status_code == 500 else "unavailable"
    detail = HTTP_TEXT.get(exc.status_code, "服务暂时不可用，请稍后再试")
    return problem(exc.status_code, code.replace("_", " ").capitalize(), detail, code)


def _commit_failed(_: Request[Any, Any, Any], exc: CommitFailed) -> Response[Any]:
    _log.warning("a command could not be committed: %s", exc)
    response = problem(
        503,
        "Service unavailable",
        "系统繁忙，暂时无法保存，未做任何更改，请稍后重试",
        "unavailable",
    )
    response.headers["Retry-After"] = "1"
    return response


# The database cannot be reached, is shutting down or starting up, or a connection broke (a
# timeout is an OSError too): the request did nothing durable; answer at once, never hang.
DATABASE_DOWN: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # 57P01 admin shutdown, 57P03 starting up
    asyncpg.InterfaceError,
    # "cannot switch to state ...": a connection the server ended while a statement was on
    # its way (seen in the soak at the instant PostgreSQL stops); logged with its traceback
    asyncpg.exceptions.InternalClientError,
)


def database_down(exc: Exception) -> bool:
    """Whether ``exc`` says the database is unavailable (not a mistake of ours)."""
    if isinstance(exc, asyncpg.InterfaceError):  # also raised for misuse: only "is closed"
        return "closed" in str(exc)
    return isinstance(exc, DATABASE_DOWN)


def _database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not database_down(exc):
        return _unexpected(request, exc)
    _log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
        exc_info=isinstance(exc, asyncpg.exceptions.InternalClientError),
    )
    response = problem(
        503,
        "Service unavailable",
        "暂时无法连接数据库，本次操作未执行，请稍后再试",
        "unavailable",
    )
    response.headers["Retry-After"] = "2"
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
        return problem(401, "WeChat login failed", "微信登录失败，请重新登录", "invalid_login_code")
    _log.warning("WeChat refused a call: %s %s", exc.errcode, exc.errmsg)
    return problem(
        502, "WeChat error", f"微信服务返回错误（{exc.errcode}），请稍后再试", "upstream_error"
    )


def _unavailable(_: Request[Any, Any, Any], exc: WeChatUnavailable) -> Response[Any]:
    _log.warning("WeChat unavailable: %s", exc)
    response = problem(503, "WeChat unavailable", "暂时无法连接微信服务，请稍后再试", "unavailable")
    response.headers["Retry-After"] = "5"
    return response


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
        "系统内部错误，已记录，请稍后再试",
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
    **dict.fromkeys(DATABASE_DOWN, _database_down),
    Exception: _unexpected,
}
