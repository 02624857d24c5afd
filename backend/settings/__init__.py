"""Settings, read from the environment once and typed."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

from backend.ratelimit import LoginBackoff, RateLimits
from backend.settings.certificates import CertificatePlatformSettings
from backend.settings.couriers import CourierSettings
from backend.settings.networks import parse_networks
from backend.settings.payments import PaymentSettings
from backend.settings.reads import ReadSettings

__all__ = ["MIN_SECRET_KEY_BYTES", "Settings", "get_settings"]

MIN_SECRET_KEY_BYTES = 32


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable. Sandbox mode is on whenever WeChat credentials are absent."""

    data_dir: Path
    database_url: str | None  # None: embedded PostgreSQL under data_dir/pg
    secret_key: str
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_api_base_url: str | None = None
    token_ttl_seconds: int = 7 * 24 * 3600
    projection_wait_seconds: float = 3.0
    command_retries: int = 5
    run_workers: bool = True
    watch_interval_seconds: float = 60.0
    group_commit: bool = True  # concurrent commands share one transaction (see docs)
    ready_max_lag: int = 10_000  # /ready turns unready when a projection is further behind
    # appointments (预约): booking window in working days, cancel cut-off, no-shows
    appointment_min_days_ahead: int = 1
    appointment_max_days_ahead: int = 5
    appointment_cancel_cutoff_minutes: int = 120
    appointment_no_show_grace_minutes: int = 15
    appointment_no_show_limit: int = 3
    appointment_no_show_window_days: int = 90
    appointment_block_days: int = 90
    # subscribe-message notifications: template file (None: the built-in table), dispatcher poll
    notification_templates: Path | None = None
    notification_poll_seconds: float = 1.0
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    # courier delivery of results: SF Express, route pushes (see backend/couriers/settings.py)
    courier: CourierSettings = msgspec.field(default_factory=CourierSettings)
    # WeChat Pay fees: merchant, notification URLs, expiry (see backend/payments/settings.py)
    payment: PaymentSettings = msgspec.field(default_factory=PaymentSettings)
    # the e-certificate platform: URL, app id, shared key (see backend/settings/certificates.py)
    certificate_platform: CertificatePlatformSettings = msgspec.field(
        default_factory=CertificatePlatformSettings
    )
    # 429 rate_limited: logins per IP and username, creating POSTs per caller (backend/ratelimit.py)
    rate_limits: RateLimits = msgspec.field(default_factory=RateLimits)
    # personal data: how long a citizen's data key stays cached in a process (also how long
    # another process may still read a citizen whose key was just deleted)
    citizen_key_cache_seconds: float = 300.0
    # failed staff logins slow down per (username, client) (backend/ratelimit.py)
    login_backoff: LoginBackoff = msgspec.field(default_factory=LoginBackoff)
    # X-Forwarded-For is read only from these proxies: addresses or networks, checked when read
    # (backend/http/client_address.py)
    trusted_proxies: tuple[str, ...] = ()
    # uploads not yet named by a submission, per uploader (413 upload_quota_exceeded past them)
    upload_quota_files: int = 50
    upload_quota_bytes: int = 100 * 1024 * 1024
    # /metrics needs this bearer token; None: open in the sandbox, 404 outside it
    metrics_token: str | None = None
    # working-day calendar: how often a process looks for calendar changes made elsewhere, and
    # how far ahead a year without an official schedule is reported (backend/working_days)
    calendar_refresh_seconds: float = 1.0
    calendar_lookahead_days: int = 92
    # read models on streaming replicas (backend/settings/reads.py); none: on the primary
    reads: ReadSettings = msgspec.field(default_factory=ReadSettings)

    def __post_init__(self) -> None:
        if len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            msg = (
                f"ONEWINDOW_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes"
                " (it signs tokens and wraps every citizen's data key); unset it to have one"
                " generated into the data directory"
            )
            raise ValueError(msg)

    @property
    def sandbox(self) -> bool:
        """True when no WeChat account is configured: fake servers stand in for WeChat."""
        return not (self.wechat_appid and self.wechat_secret)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read ``ONEWINDOW_*`` variables; the secret key is generated and kept when unset."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("ONEWINDOW_DATA_DIR", "./var")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.get("ONEWINDOW_DATABASE_URL") or None,
            secret_key=env.get("ONEWINDOW_SECRET_KEY") or _kept_secret(data_dir),
            wechat_appid=env.get("ONEWINDOW_WECHAT_APPID") or None,
            wechat_secret=env.get("ONEWINDOW_WECHAT_SECRET") or None,
            wechat_api_base_url=env.get("ONEWINDOW_WECHAT_API_BASE_URL") or None,
            token_ttl_seconds=int(env.get("ONEWINDOW_TOKEN_TTL_SECONDS", 7 * 24 * 3600)),
            projection_wait_seconds=float(env.get("ONEWINDOW_PROJECTION_WAIT_SECONDS", 3.0)),
            command_retries=int(env.get("ONEWINDOW_COMMAND_RETRIES", 5)),
            run_workers=env.get("ONEWINDOW_RUN_WORKERS", "1") not in ("0", "false", "no"),
            watch_interval_seconds=float(env.get("ONEWINDOW_WATCH_INTERVAL_SECONDS", 60)),
            ready_max_lag=int(env.get("ONEWINDOW_READY_MAX_LAG", 10_000)),
            group_commit=env.get("ONEWINDOW_GROUP_COMMIT", "1") not in ("0", "false", "no"),
            appointment_min_days_ahead=int(env.get("ONEWINDOW_APPOINTMENT_MIN_DAYS_AHEAD", 1)),
            appointment_max_days_ahead=int(env.get("ONEWINDOW_APPOINTMENT_MAX_DAYS_AHEAD", 5)),
            appointment_cancel_cutoff_minutes=int(
                env.get("ONEWINDOW_APPOINTMENT_CANCEL_CUTOFF_MINUTES", 120)
            ),
            appointment_no_show_grace_minutes=int(
                env.get("ONEWINDOW_APPOINTMENT_NO_SHOW_GRACE_MINUTES", 15)
            ),
            appointment_no_show_limit=int(env.get("ONEWINDOW_APPOINTMENT_NO_SHOW_LIMIT", 3)),
            appointment_no_show_window_days=int(
                env.get("ONEWINDOW_APPOINTMENT_NO_SHOW_WINDOW_DAYS", 90)
            ),
            appointment_block_days=int(env.get("ONEWINDOW_APPOINTMENT_BLOCK_DAYS", 90)),
            notification_templates=_optional_path(env.get("ONEWINDOW_NOTIFICATION_TEMPLATES")),
            notification_poll_seconds=float(env.get("ONEWINDOW_NOTIFICATION_POLL_SECONDS", 1.0)),
            wechat_miniprogram_state=_miniprogram_state(
                env.get("ONEWINDOW_WECHAT_MINIPROGRAM_STATE", "formal")
            ),
            courier=CourierSettings.from_env(env),
            payment=PaymentSettings.from_env(env),
            certificate_platform=CertificatePlatformSettings.from_env(env),
            rate_limits=RateLimits.from_env(env),
            citizen_key_cache_seconds=float(env.get("ONEWINDOW_CITIZEN_KEY_CACHE_SECONDS", 300)),
            metrics_token=env.get("ONEWINDOW_METRICS_TOKEN") or None,
            upload_quota_files=int(env.get("ONEWINDOW_UPLOAD_QUOTA_FILES", 50)),
            upload_quota_bytes=int(env.get("ONEWINDOW_UPLOAD_QUOTA_MB", 100)) * 1024 * 1024,
            login_backoff=LoginBackoff.from_env(env),
            trusted_proxies=_networks(env, "ONEWINDOW_TRUSTED_PROXIES"),
            calendar_refresh_seconds=float(env.get("ONEWINDOW_CALENDAR_REFRESH_SECONDS", 1.0)),
            calendar_lookahead_days=int(env.get("ONEWINDOW_CALENDAR_LOOKAHEAD_DAYS", 92)),
            reads=ReadSettings.from_env(env),
        )


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    try:
        return tuple(str(n) for n in parse_networks(env.get(name, "")))
    except ValueError as exc:
        msg = f"{name}: {exc}"
        raise ValueError(msg) from None


def _optional_path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def _miniprogram_state(value: str) -> Literal["developer", "trial", "formal"]:
    if value not in ("developer", "trial", "formal"):
        msg = f"ONEWINDOW_WECHAT_MINIPROGRAM_STATE must be developer, trial or formal: {value!r}"
        raise ValueError(msg)
    return value  # type: ignore[return-value]  # checked just above


def _kept_secret(data_dir: Path) -> str:
    """A random key stored in the data dir, so tokens survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return Settings.from_env()
