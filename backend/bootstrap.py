"""Wiring: the one place where adapters, stores and workers are built."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from backend.adapters.certificates import open_certificate_platform
from backend.adapters.couriers import open_couriers
from backend.adapters.payments import open_payments
from backend.auth.tokens import TokenService
from backend.certificates.stuck import invalid_certificate_reasons
from backend.clock import Clock, system_clock
from backend.db import connect_pool, database_url
from backend.db.migrate import apply_migrations
from backend.db.replicas import ReadPools
from backend.deliveries.dispatcher import BookingDispatcher
from backend.deliveries.stuck import failed_booking_reasons
from backend.eventstore import (
    KeyRing,
    Recorder,
    Repository,
    SnapshotPolicy,
    Writer,
    build_mapper,
    decoder,
)
from backend.eventstore.group_commit import GroupCommitWriter
from backend.jobs import every, watch
from backend.metrics import Metrics
from backend.notifications import build_dispatcher
from backend.notifications.stuck import failed_notification_reasons
from backend.payments.reconcile import reconcile_payments
from backend.ratelimit import LoginThrottle, RateLimiter
from backend.services import Services
from backend.settings import Settings
from backend.working_calendar.keeper import CalendarKeeper
from domain.application import Application
from domain.certificates import Certificate
from integrations.files import LocalFileStore
from integrations.wechat import FakeWeChat, WechatpyLogin
from projections.answers import AnswersProjection
from projections.appointments import AppointmentsProjection
from projections.base import Projection
from projections.bundles import BundleProjection
from projections.catalog import CatalogProjection
from projections.certificates import CertificateProjection
from projections.consultations import ConsultationProjection
from projections.deliveries import DeliveryProjection
from projections.notification_templates import Templates, load_templates
from projections.notifications import NotificationProjection
from projections.pre_reviews import PreReviewProjection
from projections.progress import ProgressProjection
from projections.rectifications import RectificationProjection
from projections.runner import ProjectionRunner

__all__ = ["bootstrap", "projections"]

_log = logging.getLogger(__name__)


def projections(
    templates: Templates | None = None, cancel_cutoff: timedelta | None = None
) -> list[Projection]:
    """Every read model, in the order the worker runs them."""
    return [
        CatalogProjection(),
        ProgressProjection() if cancel_cutoff is None else ProgressProjection(cancel_cutoff),
        RectificationProjection(),
        AppointmentsProjection(),
        NotificationProjection(templates),
        DeliveryProjection(),
        ConsultationProjection(),
        AnswersProjection(),
        CertificateProjection(),
        PreReviewProjection(),
        BundleProjection(),
    ]


def _watched(*tasks: asyncio.Task[None]) -> list[asyncio.Task[None]]:
    """The worker's background tasks, each reported at once if it ends by an error."""
    for task in tasks:
        task.add_done_callback(_report_early_end)
    return list(tasks)


def _report_early_end(task: asyncio.Task[None]) -> None:
    """A background task of the worker ended by an error: say so at once, loudly (it would
    otherwise surface only at shutdown, and the worker would go on doing less than it seems)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        _log.critical("background task %s ended: %r", task.get_name(), exc, exc_info=exc)


def _cancel_cutoff(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.appointment_cancel_cutoff_minutes)


async def _open_replicas(services: Services, stack: contextlib.AsyncExitStack) -> None:
    """The read pool's replicas, and their health check every few seconds (in every process
    that serves reads, whether or not it runs the workers); none configured: nothing to do."""
    if not services.settings.reads.replica_urls:
        return
    services.reads = await ReadPools.open(services.pool, services.settings.reads)
    stack.push_async_callback(services.reads.close)
    stop = asyncio.Event()
    health = asyncio.create_task(services.reads.watch(stop), name="replica-health")

    async def stop_watching() -> None:
        stop.set()
        await health

    stack.push_async_callback(stop_watching)


@contextlib.asynccontextmanager
async def bootstrap(
    settings: Settings, *, run_workers: bool | None = None, clock: Clock = system_clock
) -> AsyncIterator[Services]:
    """Connect, migrate, start the sandbox fakes and (optionally) the projection worker."""
    url = await asyncio.to_thread(database_url, settings)
    pool = await connect_pool(url)
    stack = contextlib.AsyncExitStack()
    try:
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            await apply_migrations(conn)
        fake: FakeWeChat | None = None
        if settings.sandbox:
            fake = FakeWeChat()
            fake.start()
            stack.callback(fake.stop)
            login = WechatpyLogin(fake.appid, fake.secret, fake.base_url)
            _log.info("sandbox mode: fake WeChat on %s", fake.base_url)
        else:
            assert settings.wechat_appid
            assert settings.wechat_secret
            login = WechatpyLogin(
                settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base_url
            )
        couriers = await stack.enter_async_context(open_couriers(settings))
        appid = fake.appid if fake is not None else settings.wechat_appid
        payments = stack.enter_context(open_payments(settings, appid, clock))
        certificates = await stack.enter_async_context(open_certificate_platform(settings))
        recorder = Recorder()
        # citizens' data keys, wrapped under a key derived from the secret key (crypto-shredding)
        mapper = build_mapper(
            KeyRing(settings.secret_keys, ttl_seconds=settings.citizen_key_cache_seconds)
        )
        templates = load_templates(settings.notification_templates)
        metrics = Metrics()
        keeper = CalendarKeeper(
            refresh_seconds=settings.calendar_refresh_seconds,
            lookahead_days=settings.calendar_lookahead_days,
        )
        writer: Writer | None = None
        if settings.group_commit:
            writer = GroupCommitWriter(pool, recorder)
            stack.push_async_callback(writer.close)
        repository = Repository(
            pool,
            recorder,
            mapper,
            writer=writer,
            # long-lived applications (many supervision events) and much-used certificates
            # (a 营业执照 stands for materials of many cases) load from a snapshot
            snapshots=SnapshotPolicy(every=50, types=(Application, Certificate)),
            on_save=metrics.observe_save,
            on_conflict=metrics.conflicts.inc,
        )
        services = Services(
            settings=settings,
            pool=pool,
            recorder=recorder,
            mapper=mapper,
            repository=repository,
            metrics=metrics,
            runner=ProjectionRunner(
                pool, recorder, decoder(mapper), projections(templates, _cancel_cutoff(settings))
            ),
            tokens=TokenService(settings.secret_keys, settings.token_ttl_seconds),
            clock=clock,
            calendar=await keeper.load(pool),
            calendar_keeper=keeper,
            wechat_login=login,
            files=LocalFileStore(settings.data_dir / "files"),
            notification_templates=templates,
            fake_wechat=fake,
            stuck_reasons=[
                failed_notification_reasons,
                failed_booking_reasons,
                functools.partial(invalid_certificate_reasons, clock=clock),
            ],
            couriers=couriers,
            payments=payments,
            certificates=certificates,
            rate_limiter=RateLimiter(pool, clock),
            login_throttle=LoginThrottle(
                pool, clock, settings.login_backoff, on_spray=metrics.login_spraying.inc
            ),
        )
        keeper.warn_daily(services)  # at start, then the watcher's first pass of each day
        await _open_replicas(services, stack)
        if settings.run_workers if run_workers is None else run_workers:
            stop = asyncio.Event()
            tasks = _watched(
                asyncio.create_task(services.runner.run(stop), name="projections"),
                asyncio.create_task(
                    every(settings.watch_interval_seconds, lambda: watch(services), stop, "watch"),
                    name="deadline-watcher",
                ),
                asyncio.create_task(
                    every(
                        settings.payment.job_interval_seconds,
                        lambda: reconcile_payments(services),
                        stop,
                        "payments",
                    ),
                    name="payment-reconciler",
                ),
                asyncio.create_task(
                    build_dispatcher(settings, pool, fake).run(stop), name="notifications"
                ),
                asyncio.create_task(BookingDispatcher(services).run(stop), name="courier-bookings"),
            )

            async def stop_worker() -> None:
                stop.set()
                services.runner.wake()
                await asyncio.gather(*tasks)

            stack.push_async_callback(stop_worker)
        stack.push_async_callback(services.positions.close)
        async with stack:
            yield services
    except BaseException:
        await stack.aclose()
        raise
