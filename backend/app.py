"""The Litestar application factory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from backend import heap
from backend.accounts.routes import AuthController, CitizensAdminController, StaffAdminController
from backend.applications.routes import ApplicationsController
from backend.appointments.desk_routes import AppointmentsAdminController
from backend.appointments.routes import AppointmentsController, HallsController
from backend.back_office.routes import BackOfficeController
from backend.bootstrap import bootstrap
from backend.bundles.routes import BundlesController, LifeEventsController
from backend.catalog.routes import CatalogController
from backend.certificates.routes import (
    CaseCertificatesController,
    CertificatesAdminController,
    MyCertificatesController,
)
from backend.clock import Clock, system_clock
from backend.console.wiring import console_router, root, template_config
from backend.consultations.admin_routes import (
    ConsultationsAdminController,
    ReplyTemplatesController,
)
from backend.consultations.routes import AnswersController, ConsultationsController
from backend.deliveries.routes import (
    CourierController,
    CourierWebhookController,
    DeliveryAdminController,
)
from backend.demo_cases import load_demo_cases
from backend.demo_data import load_demo
from backend.files.routes import FilesController
from backend.http.envelope import request_envelope
from backend.http.errors import EXCEPTION_HANDLERS
from backend.http.guards import provide_principal, provide_services
from backend.http.headers import security_headers
from backend.http.hygiene import refuse_bad_input
from backend.http.openapi import ContractPlugin, openapi_config
from backend.notifications.routes import (
    NotificationTemplatesController,
    SandboxMessagesController,
    SubscriptionsController,
)
from backend.operations.routes import health, metrics, ready
from backend.payments.routes import (
    PaymentsController,
    RefundsController,
    SandboxPayController,
    WeChatPayWebhooks,
)
from backend.pre_reviews.admin_routes import PreReviewsAdminController
from backend.pre_reviews.routes import PreReviewsController
from backend.proxies.routes import AuthorisationsController, InvitationsController
from backend.settings import Settings, get_settings
from backend.supervision.routes import SupervisionActionsController, SupervisionController
from backend.working_days.routes import CalendarController

__all__ = ["MAX_JSON_BODY", "create_app", "create_app_from_env"]

MAX_JSON_BODY = 1024 * 1024


_SWAGGER = Path(__file__).parent / "operations" / "static" / "swagger"


def _swagger() -> SwaggerRenderPlugin:
    """Swagger UI from our own copy (backend/operations/static/swagger): no CDN needed."""
    return SwaggerRenderPlugin(
        js_url="/schema/static/swagger-ui-bundle.js",
        css_url="/schema/static/swagger-ui.css",
        standalone_preset_js_url="/schema/static/swagger-ui-standalone-preset.js",
        favicon="<link rel='icon' type='image/png' href='/schema/static/favicon-32x32.png'>",
        path="/swagger",
    )


def create_app(
    settings: Settings | None = None,
    *,
    demo: bool = False,
    demo_cases: bool = False,
    clock: Clock = system_clock,
    serving: bool = False,
) -> Litestar:
    """The API and the console; services are built when it starts, not at import time.
    ``demo``: the demo catalogue, halls and staff; ``demo_cases``: a few applications too.
    ``serving``: this process is the server (``backend.heap.settle`` once started; not for the
    many short-lived apps of a test run)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(settings, clock=clock) as services:
            app.state.services = services
            if demo:
                await load_demo(services)
            if demo_cases:
                await load_demo_cases(services)
            if serving:
                heap.settle()
            yield

    return Litestar(
        route_handlers=[
            AuthController,
            CatalogController,
            FilesController,
            ApplicationsController,
            HallsController,
            AppointmentsController,
            AppointmentsAdminController,
            BackOfficeController,
            SupervisionController,
            SupervisionActionsController,
            AnswersController,
            ConsultationsController,
            LifeEventsController,
            BundlesController,
            ConsultationsAdminController,
            ReplyTemplatesController,
            PreReviewsController,
            PreReviewsAdminController,
            CalendarController,
            CitizensAdminController,
            StaffAdminController,
            CourierController,
            CourierWebhookController,
            DeliveryAdminController,
            NotificationTemplatesController,
            SubscriptionsController,
            PaymentsController,
            RefundsController,
            WeChatPayWebhooks,
            MyCertificatesController,
            CertificatesAdminController,
            CaseCertificatesController,
            AuthorisationsController,
            InvitationsController,
            *([SandboxMessagesController] if settings.sandbox else []),
            *([SandboxPayController] if settings.sandbox else []),
            health,
            ready,
            metrics,
            create_static_files_router(
                path="/schema/static", directories=[_SWAGGER], include_in_schema=False
            ),
            root,
            console_router(settings),
        ],
        template_config=template_config(),
        middleware=[request_envelope],
        before_send=[security_headers],
        before_request=refuse_bad_input,
        # no JSON body of ours comes near this; routes that take more say so (files, webhooks)
        request_max_body_size=MAX_JSON_BODY,
        lifespan=[lifespan],
        dependencies={
            "services": Provide(provide_services),
            "principal": Provide(provide_principal),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config([JsonRenderPlugin(), _swagger()]),
        plugins=[ContractPlugin()],
    )


def create_app_from_env() -> Litestar:
    """The factory ``uvicorn --factory`` calls in each worker process (``serve --workers N``)."""
    demo = os.environ.get("ONEWINDOW_DEMO") == "1"
    return create_app(demo=demo, demo_cases=demo, serving=True)
