"""Everything a request handler or worker needs, wired once by ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper

from backend.auth.tokens import TokenService
from backend.clock import Clock
from backend.eventstore import Recorder, Repository
from backend.settings import Settings
from domain.calendar import WorkingCalendar
from integrations.files import FileStore
from integrations.wechat import WeChatLogin
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
    calendar: WorkingCalendar
    wechat_login: WeChatLogin
    files: FileStore
    extras: dict[str, object] = field(default_factory=dict)
