"""E-certificate platform settings (``ONEWINDOW_CERT_PLATFORM_*``), part of ``Settings``."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

__all__ = ["CertificatePlatformSettings"]


class CertificatePlatformSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the provincial / national e-certificate platform is and how we sign for it.

    Without a URL the sandbox starts its fake platform on loopback; outside the sandbox only
    certificates onewindow issued itself can be used until it is configured.
    """

    url: str | None = None
    app_id: str = "onewindow"
    key: str | None = None  # the shared HMAC key; required with url
    timeout_seconds: float = 5.0
    replay_window_seconds: int = 300  # how far a signed answer's timestamp may be from ours
    # the watcher checks again the platform certificates open cases stand on this often
    recheck_hours: float = 6.0

    def __post_init__(self) -> None:
        if self.recheck_hours <= 0:
            msg = "ONEWINDOW_CERT_PLATFORM_RECHECK_HOURS must be positive"
            raise ValueError(msg)
        if self.url and not self.key:
            msg = "ONEWINDOW_CERT_PLATFORM_KEY is required with ONEWINDOW_CERT_PLATFORM_URL"
            raise ValueError(msg)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CertificatePlatformSettings:
        """Read the variables (unset ones keep their defaults)."""
        return cls(
            url=env.get("ONEWINDOW_CERT_PLATFORM_URL") or None,
            app_id=env.get("ONEWINDOW_CERT_PLATFORM_APP_ID") or "onewindow",
            key=env.get("ONEWINDOW_CERT_PLATFORM_KEY") or None,
            timeout_seconds=float(env.get("ONEWINDOW_CERT_PLATFORM_TIMEOUT_SECONDS", 5.0)),
            replay_window_seconds=int(
                env.get("ONEWINDOW_CERT_PLATFORM_REPLAY_WINDOW_SECONDS", 300)
            ),
            recheck_hours=float(env.get("ONEWINDOW_CERT_PLATFORM_RECHECK_HOURS", 6.0)),
        )
