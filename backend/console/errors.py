"""What a refused action looks like in the console: the problem's detail in the page (an error
box swapped in by htmx, or an error page), never a traceback; no session: the login page."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from backend.console.access import LoginRequired
from backend.console.labels import PROBLEM_TEXT
from backend.console.render import is_htmx, page
from backend.eventstore.types import CommitFailed
from backend.http.body_errors import chinese
from backend.http.errors import DATABASE_DOWN, HTTP_CODES, HTTP_TEXT, database_down, status_of
from backend.http.read_source import ReadModelBehind
from backend.ratelimit import RateLimited
from domain.errors import DomainError, ValidationFailed

__all__ = ["CONSOLE_EXCEPTION_HANDLERS"]

_log = logging.getLogger(__name__)


def _problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    errors: dict[str, str] | None = None,
    *,
    family: str | None = None,
) -> Response[Any]:
    context = {
        "status": status,
        "code": code,
        "title": PROBLEM_TEXT.get(family or code, "操作未完成"),
        "detail": detail,
        "errors": errors or {},
    }
    if is_htmx(request):
        # swapped into the page's error box; htmx is told to swap 4xx answers too
        template = page(request, "_problem.html", **context)
        template.headers.update({"HX-Retarget": "#problem", "HX-Reswap": "innerHTML"})
    else:
        template = page(request, "problem.html", **context)
    template.status_code = status
    return template


def _login(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": "/console/login"})
    return Redirect("/console/login", status_code=303)


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status, _title = status_of(exc)
    retry = exc.retry_after if isinstance(exc, RateLimited) else None
    if retry is not None:
        status = 429
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    # a fine code (already_evaluated) is titled by its kind (invalid_state)
    family = next(
        (
            getattr(c, "code", "")
            for c in type(exc).__mro__
            if getattr(c, "code", None) in PROBLEM_TEXT
        ),
        None,
    )
    response = _problem(request, status, exc.code, exc.detail, errors, family=family)
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = {
        str(item.get("key") or "form"): chinese(str(item.get("message", "")))
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    }
    return _problem(request, 400, "validation_failed", "填写有误，请按提示修改", errors)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    detail = HTTP_TEXT.get(exc.status_code, "服务暂时不可用，请稍后再试")
    if "CSRF" in str(exc.detail):
        detail = "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"
    return _problem(request, exc.status_code, code, detail)


def _commit_failed(request: Request[Any, Any, Any], exc: CommitFailed) -> Response[Any]:
    _log.warning("a console command could not be committed: %s", exc)
    return _problem(request, 503, "unavailable", "数据库暂时无法写入，未做任何更改，请重试")


def _database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not database_down(exc):
        return _unexpected(request, exc)
    _log.warning("database unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
    response = _problem(request, 503, "unavailable", "数据库暂时无法访问，未做任何更改，请稍后重试")
    response.headers["Retry-After"] = "2"
    return response


def _behind(request: Request[Any, Any, Any], exc: ReadModelBehind) -> Response[Any]:
    response = _problem(request, 503, exc.code, exc.detail)
    response.headers["Retry-After"] = "1"
    return response


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(request, 500, "internal_error", "系统内部错误，已记录，请稍后再试")


CONSOLE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    LoginRequired: _login,
    DomainError: _domain,
    RateLimited: _domain,  # the app's own handler would answer problem+json
    CommitFailed: _commit_failed,
    ReadModelBehind: _behind,
    ValidationException: _validation,
    HTTPException: _http,
    **dict.fromkeys(DATABASE_DOWN, _database_down),
    Exception: _unexpected,
}
