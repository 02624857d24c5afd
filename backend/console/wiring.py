"""The console as one Litestar router under ``/console``: its pages, static files, CSRF,
security headers and error pages; the app adds it with ``console_router`` and
``template_config``."""

from __future__ import annotations

import hashlib

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.static_files import create_static_files_router

from backend.console import (
    admin_routes,
    case_actions,
    case_routes,
    consultation_routes,
    courier_routes,
    dashboard_routes,
    desk_routes,
    login_routes,
    pre_review_routes,
    setup_routes,
    stuck_routes,
    worklist_routes,
)
from backend.console.access import provide_account
from backend.console.errors import CONSOLE_EXCEPTION_HANDLERS
from backend.console.render import STATIC, security_headers, template_config
from backend.settings import Settings

__all__ = ["console_router", "root", "template_config"]

root = login_routes.root


def console_router(settings: Settings) -> Router:
    """Every console page, guarded per page, with CSRF on every unsafe request."""
    csrf = CSRFConfig(
        # derived: the console's CSRF cookies change with the secret key, tokens never sign
        secret=hashlib.sha256(b"console-csrf:" + settings.secret_key.encode()).hexdigest(),
        cookie_name="onewindow_csrf",
        cookie_path="/console",
        cookie_httponly=True,
        cookie_samesite="strict",
        header_name="x-csrftoken",
        exclude=["/console/static"],
    )
    static = create_static_files_router(
        path="/static", directories=[STATIC], name="console-static", include_in_schema=False
    )
    return Router(
        path="/console",
        route_handlers=[
            static,
            login_routes.login_form,
            login_routes.login,
            login_routes.logout,
            login_routes.home,
            *worklist_routes.HANDLERS,
            *case_routes.HANDLERS,
            *case_actions.HANDLERS,
            *pre_review_routes.HANDLERS,
            *stuck_routes.HANDLERS,
            *consultation_routes.HANDLERS,
            *dashboard_routes.HANDLERS,
            *admin_routes.HANDLERS,
            *setup_routes.HANDLERS,
            *desk_routes.HANDLERS,
            *courier_routes.HANDLERS,
        ],
        middleware=[security_headers, DefineMiddleware(CSRFMiddleware, config=csrf)],
        dependencies={"account": Provide(provide_account)},
        exception_handlers=CONSOLE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
