"""Rendering console pages: the shared context, Jinja filters, and the security headers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.response import Template
from litestar.template import TemplateConfig

from backend.console import labels
from domain.calendar import CST

if TYPE_CHECKING:
    from jinja2 import Environment
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "is_htmx", "page", "security_headers", "template_config"]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'"
)
# the pages each role finds in the menu: (path, text, roles)
NAV = (
    ("/console/worklist", "办件箱", ("clerk", "reviewer", "supervisor", "admin")),
    ("/console/consultations", "咨询台", ("clerk", "reviewer", "supervisor", "admin")),
    ("/console/pre-reviews", "预审", ("clerk", "reviewer", "supervisor", "admin")),
    ("/console/stuck", "督办台", ("clerk", "reviewer", "supervisor", "admin")),
    ("/console/dashboard", "统计", ("clerk", "reviewer", "supervisor", "admin")),
    ("/console/desk", "预约叫号", ("clerk", "supervisor", "admin")),
    ("/console/admin/staff", "系统管理", ("admin",)),
    ("/console/courier/", "我的派送", ("courier",)),
)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """The request came from htmx (a partial update), not a page load."""
    return request.headers.get("hx-request") == "true"


def page(request: Request[Any, Any, Any], name: str, **context: Any) -> Template:
    """A template with what every page shows: who is signed in and their menu."""
    account = request.state.get("account")
    nav = [(p, t) for p, t, roles in NAV if account is not None and account.role in roles]
    return Template(
        template_name=name,
        context={"account": account, "nav": nav, "path": request.url.path, **context},
    )


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _day(value: date | str | None) -> str:
    return "" if value is None else str(value)


def _register(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.filters.update(
        when=_when,
        day=_day,
        yuan=labels.fen_to_yuan,
        status=lambda s: labels.STATUS_TEXT.get(s, s),
        role=lambda r: labels.ROLE_TEXT.get(r, r),
        event=lambda e: labels.EVENT_TEXT.get(e, e),
        reason=lambda r: labels.REASON_TEXT.get(r, r),
        box=lambda b: labels.BOX_TEXT.get(b, b),
        deadline_state=lambda d: labels.DEADLINE_TEXT.get(d, "") if d else "",
        delivery_status=lambda d: labels.DELIVERY_STATUS_TEXT.get(d, d),
        courier=lambda c: labels.COURIER_NAME.get(c, c),
        detail=labels.detail_text,
        percent=lambda v: "—" if v is None else f"{v * 100:.1f}%",
    )
    env.globals.update(now=lambda: datetime.now(CST))


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 (autoescaping on) over the console's templates, with its filters."""
    from litestar.plugins.jinja import JinjaTemplateEngine

    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_register
    )


def security_headers(app: ASGIApp) -> ASGIApp:
    """Console responses (errors included) carry the CSP; a response that set its own (a file
    preview) keeps it. nosniff, no-referrer and no-store come from ``backend.http.headers``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
                headers["X-Frame-Options"] = "SAMEORIGIN"
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
