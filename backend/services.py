"""Everything a request handler or worker needs, wired once by ``bootstrap``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper

from backend.adapters.certificates import CertificateAdapters
from backend.adapters.couriers import Couriers
from backend.adapters.payments import Payments
from backend.auth.revocations import TokenRevocations
from backend.auth.tokens import TokenService
from backend.clock import Clock
from backend.db.positions import Positions
from backend.db.reader import Queries
from backend.db.replicas import ReadPools
from backend.eventstore import Recorder, Repository
from backend.eventstore.versioned import VersionedCache
from backend.metrics import Metrics
from backend.ratelimit import LoginThrottle, RateLimiter
from backend.settings import Settings
from backend.working_calendar.keeper import CalendarKeeper
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition
from integrations.files import FileStore
from integrations.wechat import FakeWeChat, WeChatLogin
from projections.notification_templates import Templates, load_templates
from projections.runner import ProjectionRunner

__all__ = ["Services"]


@dataclass
class Services:
    """The application's adapters and stores."""

    settings: Settings
    pool: asyncpg.Pool
    recorder: Recorder
    mapper: Mapper[UUID]
    repository: Repository
    runner: ProjectionRunner
    tokens: TokenService
    clock: Clock
    calendar: WorkingCalendar  # kept fresh across processes by calendar_keeper
    wechat_login: WeChatLogin
    files: FileStore
    # reasons for stuck cases kept by payments, delivery and notifications (see queries.supervision)
    stuck_reasons: list[
        Callable[[Queries], Awaitable[dict[UUID, list[tuple[str, datetime | None, str]]]]]
    ] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    # service items' definitions as last replayed here, confirmed by version before each use
    service_items: VersionedCache[ServiceDefinition] = field(default_factory=VersionedCache)
    calendar_keeper: CalendarKeeper = field(default_factory=CalendarKeeper)
    notification_templates: Templates = field(default_factory=load_templates)
    fake_wechat: FakeWeChat | None = None  # sandbox mode: the fake the adapters talk to
    couriers: Couriers | None = None  # courier companies (sandbox: the fake SF behind them)
    payments: Payments | None = None  # WeChat Pay (sandbox: the fake behind it); None: off
    # the e-certificate platform (sandbox: the fake behind it; .platform None: none configured)
    certificates: CertificateAdapters = field(default_factory=lambda: CertificateAdapters(None))
    rate_limiter: RateLimiter | None = None  # 429s, counted in PostgreSQL; None: no limits
    login_throttle: LoginThrottle | None = None  # back-off of wrong staff passwords
    revocations: TokenRevocations = field(init=False)  # logged-out bearer tokens
    positions: Positions = field(init=False)  # the projections' positions, for ?after=
    # where read models are read: the replicas of ONEWINDOW_READ_DATABASE_URL, or the primary
    # (queries ask backend.read_side.read_model, never this directly)
    reads: ReadPools = field(init=False)

    def __post_init__(self) -> None:
        self.revocations = TokenRevocations(self.pool)
        self.positions = Positions(self.pool)
        self.reads = ReadPools(self.pool)
