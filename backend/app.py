"""The Litestar application factory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from backend.api.admin import AdminController
from backend.api.applications import ApplicationsController
from backend.api.appointments import AppointmentsController, HallsController
from backend.api.appointments_admin import AppointmentsAdminController
from backend.api.auth import AuthController
from backend.api.back_office import BackOfficeController
from backend.api.catalog import CatalogController
from backend.api.citizens import CitizensAdminController
from backend.api.couriers import (
    CourierController,
    CourierWebhookController,
    DeliveryAdminController,
)
from backend.api.files import FilesController
from backend.api.guards import provide_principal, provide_services
from backend.api.health import health, metrics, ready
from backend.api.hygiene import refuse_nul
from backend.api.notifications import (
    NotificationTemplatesController,
    SandboxMessagesController,
    SubscriptionsController,
)
from backend.api.payments import (
    PaymentsController,
    RefundsController,
    SandboxPayController,
    WeChatPayWebhooks,
)
from backend.api.supervision import SupervisionController
from backend.bootstrap import bootstrap
from backend.clock import Clock, system_clock
from backend.demo_data import load_demo
from backend.errors import EXCEPTION_HANDLERS
from backend.metrics import metrics_middleware
from backend.settings import Settings, get_settings

__all__ = ["create_app", "create_app_from_env"]


def create_app(
    settings: Settings | None = None, *, demo: bool = False, clock: Clock = system_clock
) -> Litestar:
    """The API; services are built when it starts, not at import time."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(settings, clock=clock) as services:
            app.state.services = services
            if demo:
                await load_demo(services)
            yield

    return Litestar(
        route_handlers=[
            AuthController,
            CatalogController,
            FilesController,
            ApplicationsController,
            AdminController,
            HallsController,
            AppointmentsController,
            AppointmentsAdminController,
            BackOfficeController,
            SupervisionController,
            CitizensAdminController,
            CourierController,
            CourierWebhookController,
            DeliveryAdminController,
            NotificationTemplatesController,
            SubscriptionsController,
            PaymentsController,
            RefundsController,
            WeChatPayWebhooks,
            *([SandboxMessagesController] if settings.sandbox else []),
            *([SandboxPayController] if settings.sandbox else []),
            health,
            ready,
            metrics,
        ],
        middleware=[metrics_middleware],
        before_request=refuse_nul,
        lifespan=[lifespan],
        dependencies={
            "services": Provide(provide_services),
            "principal": Provide(provide_principal),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="onewindow",
            version="0.1.0",
            description="一网通办 backend for a WeChat mini-program",
            path="/schema",
        ),
    )


def create_app_from_env() -> Litestar:
    """The factory ``uvicorn --factory`` calls in each worker process (``serve --workers N``)."""
    return create_app(demo=os.environ.get("ONEWINDOW_DEMO") == "1")
