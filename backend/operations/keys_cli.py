"""``onewindow keys new|rotate|status``: rotating the secret key (docs/operations.md)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.operations.progress import progress_bar
from backend.secret_keys import key_id
from backend.settings import ACCEPTED_KEYS_FILE, SECRET_KEY_FILE

if TYPE_CHECKING:
    from backend.services import Services
    from backend.settings import Settings

__all__ = ["add_keys_commands"]

WithServices = Callable[["Settings", Callable[["Services"], Awaitable[Any]]], Any]


def add_keys_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], with_services: WithServices
) -> None:
    """Register ``keys new``, ``keys rotate`` and ``keys status``; ``with_services`` runs the
    work inside a bootstrapped app (the CLI's own helper, passed in to keep the imports
    one-way)."""
    keys = commands.add_parser("keys", help="the secret key: rotate it without downtime")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_commands.add_parser(
        "new", help="make a new secret key (kept in the data dir: installed, the old one accepted)"
    ).set_defaults(run=_new)
    rotate = keys_commands.add_parser(
        "rotate", help="re-wrap every citizen's data key under the current secret key"
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    rotate.add_argument(
        "--pause", type=float, default=0.0, help="seconds between transactions (a busy database)"
    )
    rotate.set_defaults(run=lambda args, settings: _rotate(args, settings, with_services))
    keys_commands.add_parser(
        "status", help="which secret key wraps how many data keys; may the old one go"
    ).set_defaults(run=lambda _args, settings: _status(settings, with_services))


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` at once, readable by this user only."""
    fresh = path.with_name(f".{path.name}.new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    fresh.replace(path)


def _new(_: argparse.Namespace, settings: Settings) -> int:
    key = secrets.token_urlsafe(48)
    old = settings.secret_key
    if os.environ.get("ONEWINDOW_SECRET_KEY"):
        print(f"new secret key {key_id(key)} (the current one is {key_id(old)}):\n{key}\n")
        print(
            "1. add it to ONEWINDOW_ACCEPTED_SECRET_KEYS on every process and restart them\n"
            "   one by one: they accept it, they still sign with the current key;\n"
            "2. then make it ONEWINDOW_SECRET_KEY and put the current one in\n"
            "   ONEWINDOW_ACCEPTED_SECRET_KEYS; restart them one by one;\n"
            "3. onewindow keys rotate;\n"
            "4. once ONEWINDOW_TOKEN_TTL_SECONDS have passed since step 2, and `onewindow keys\n"
            "   status` says so, remove the old key from ONEWINDOW_ACCEPTED_SECRET_KEYS."
        )
        return 0
    accepted = [*settings.accepted_secret_keys, old]
    _write_private(settings.data_dir / ACCEPTED_KEYS_FILE, "\n".join(accepted) + "\n")
    _write_private(settings.data_dir / SECRET_KEY_FILE, key)
    print(
        f"{settings.data_dir / SECRET_KEY_FILE}: new secret key {key_id(key)};"
        f" the old one, {key_id(old)}, is accepted ({ACCEPTED_KEYS_FILE}).\n"
        "Restart every onewindow process of this data dir, then run `onewindow keys rotate`."
    )
    return 0


def _rotate(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.eventstore import KeyRing, KeyUnavailable
    from backend.eventstore.key_rotation import pending_rewraps, rewrap_data_keys

    keys = settings.secret_keys
    ring = KeyRing(keys)

    async def work(services: Services) -> int:
        total = await pending_rewraps(services.pool, keys.current_id)
        bar = progress_bar(total, "data keys", unit="keys")
        bar(0)
        done = await rewrap_data_keys(services.pool, ring, batch_size=args.batch_size, progress=bar)
        sys.stderr.write("\n")
        return done

    try:
        done: int = with_services(settings, work)
    except KeyUnavailable as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    until = datetime.now(UTC) + timedelta(seconds=settings.token_ttl_seconds)
    print(
        f"{done} data keys re-wrapped: every citizen's data key is under {keys.current_id}.\n"
        f"Tokens signed with an accepted key expire by {until:%Y-%m-%d %H:%M} UTC at the latest"
        " (once no process signs with it); then it may be retired (`onewindow keys status`)."
    )
    return 0


def _status(settings: Settings, with_services: WithServices) -> int:
    from backend.eventstore.key_rotation import data_keys_by_secret_key

    keys = settings.secret_keys
    counts: dict[str | None, int] = with_services(
        settings, lambda services: data_keys_by_secret_key(services.pool)
    )
    print(f"current secret key: {keys.current_id} ({counts.get(keys.current_id, 0)} data keys)")
    for kid in keys.accepted_ids:
        under = counts.get(kid, 0)
        verdict = (
            "may be retired once the tokens it signed have expired"
            if under == 0 and not counts.get(None)
            else "still needed: run `onewindow keys rotate`"
        )
        print(f"accepted: {kid} ({under} data keys): {verdict}")
    if counts.get(None):
        print(f"named no key (wrapped before key ids): {counts[None]} data keys: run keys rotate")
    unknown = sorted(k for k in counts if k is not None and k not in keys.by_id)
    for kid in unknown:
        print(f"NOT CONFIGURED: {kid} wraps {counts[kid]} data keys: their data is unreadable")
    return 1 if unknown else 0
