"""``onewindow``: serve, migrate, staff, catalogue, calendar, projections, backups and keys from
the command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from backend.accounts.cli import add_staff_commands
from backend.operations.backup_cli import add_backup_commands
from backend.operations.keys_cli import add_keys_commands
from backend.settings import SERVED_AT_ENV, Settings, get_settings
from backend.working_days.cli import add_calendar_commands

__all__ = ["main"]

T = TypeVar("T")


def _with_services(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from backend.bootstrap import bootstrap

    async def run() -> T:
        async with bootstrap(settings, run_workers=False) as services:
            return await work(services)

    return asyncio.run(run())


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve_refusal(settings: Settings, *, host: str, demo: bool, unsafe_public: bool) -> str | None:
    """Why ``serve`` must not start as asked (None: it may).

    ``--demo`` creates staff accounts whose password is published in the README: only in the
    sandbox. The sandbox has no real WeChat behind it, and its inbox shows citizens' messages:
    only on loopback, unless the operator says ``--unsafe-public-sandbox``.
    """
    if demo and not settings.sandbox:
        return (
            "--demo creates staff accounts with a published password; it is refused when WeChat"
            " credentials are configured (create real accounts with `onewindow staff create`)"
        )
    if settings.sandbox and host not in _LOOPBACK and not unsafe_public:
        return (
            f"sandbox mode serves only on loopback, not on {host}: set the WeChat credentials,"
            " or pass --unsafe-public-sandbox for a demo on a network you trust"
        )
    return None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    refusal = serve_refusal(
        settings, host=args.host, demo=args.demo, unsafe_public=args.unsafe_public_sandbox
    )
    if refusal is not None:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    # the sandbox's fakes call back where this server listens (not always port 8000)
    settings = settings.served_at(args.host, args.port)
    mode = "sandbox (fake WeChat on loopback)" if settings.sandbox else "WeChat"
    print(
        f"onewindow on http://{args.host}:{args.port}  mode: {mode}  workers: {args.workers}"
        f"  data: {settings.data_dir}"
    )
    # uvicorn shuts down on SIGTERM/SIGINT and then raises the signal again with the handler
    # found at start: the default one would end the process before any cleanup (atexit too), so
    # ours turns it into SystemExit and the embedded server (if any) is stopped on the way out
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_on_signal)
    try:
        _run_uvicorn(args, settings)
    finally:
        if settings.database_url is None:
            from backend.db.embedded import stop_embedded_postgres

            stop_embedded_postgres(settings.data_dir / "pg")
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def server_options() -> dict[str, Any]:
    """How uvicorn serves the API (and the bench's bare app, on the same stack)."""
    from backend.http.one_write import OneWriteHttpToolsProtocol

    return {
        "http": OneWriteHttpToolsProtocol,  # httptools; a response's head and body in one write
        "log_level": "info",
        "access_log": False,
        "server_header": False,  # no "server: uvicorn" banner
        "proxy_headers": False,  # X-Forwarded-For only from ONEWINDOW_TRUSTED_PROXIES
    }


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from backend.app import create_app

    if args.workers == 1:
        uvicorn.run(
            create_app(settings, demo=args.demo, demo_cases=args.demo, serving=True),
            host=args.host,
            port=args.port,
            **server_options(),
        )
        return
    # several processes: each builds its app from the environment; start the embedded
    # database (if any) here first so that they all find it running
    from backend.db import database_url

    os.environ["ONEWINDOW_DATABASE_URL"] = database_url(settings)
    # (the secret key is not put in the workers' environment: they read it where this process
    # did, from ONEWINDOW_SECRET_KEY if the operator set it, or from $DATA_DIR/secret_key)
    os.environ["ONEWINDOW_DATA_DIR"] = str(settings.data_dir)
    os.environ[SERVED_AT_ENV] = f"{args.host}:{args.port}"
    if args.demo:
        os.environ["ONEWINDOW_DEMO"] = "1"
    uvicorn.run(
        "backend.app:create_app_from_env",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        **server_options(),
    )


def _worker(_: argparse.Namespace, settings: Settings) -> int:
    from backend.bootstrap import bootstrap

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with bootstrap(settings, run_workers=True):
            print("onewindow worker: projections and jobs running; Ctrl-C stops", flush=True)
            await stop.wait()

    asyncio.run(run())
    return 0


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    async def work(services: object) -> None:  # bootstrap applies the migrations
        return None

    _with_services(settings, work)
    print("migrations applied")
    return 0


def _catalog_load(args: argparse.Namespace, settings: Settings) -> int:
    from backend.bundles.catalog import publish_life_events, read_life_events
    from backend.catalog.commands import load_catalog_file
    from backend.services import Services

    async def work(services: Services) -> dict[str, int]:
        counts = await load_catalog_file(services, Path(args.file))
        events = await publish_life_events(services, read_life_events(Path(args.file)))
        return counts | {f"life events {k}": v for k, v in events.items()}

    counts = _with_services(settings, work)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def _citizen_forget(args: argparse.Namespace, settings: Settings) -> int:
    import uuid

    from backend.accounts.erasure import forget_citizen
    from backend.services import Services

    try:
        citizen_id = uuid.UUID(args.citizen_id)
    except ValueError:
        print(f"not a citizen id: {args.citizen_id!r}", file=sys.stderr)
        return 2

    async def work(services: Services) -> bool:
        result = await forget_citizen(services, citizen_id, by="cli")
        return result.erased

    if _with_services(settings, work):
        print(f"citizen {citizen_id}: data key deleted, personal data now reads as erased")
    else:
        print(f"citizen {citizen_id}: no data key to delete (nothing stored, or forgotten before)")
    return 0


def _projections_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from backend.operations.rebuild import rebuild_read_models
    from backend.services import Services

    async def work(services: Services) -> None:
        await rebuild_read_models(services, args.name)

    try:
        _with_services(settings, work)
    except KeyError as exc:
        print(f"no projection named {exc}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onewindow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (sandbox mode without WeChat keys)")
    serve.add_argument(
        "--demo", action="store_true", help="load demo catalogue, staff and a few applications"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API processes (uvicorn)")
    serve.add_argument(
        "--unsafe-public-sandbox",
        action="store_true",
        help="let sandbox mode listen beyond loopback (a demo on a trusted network only)",
    )
    serve.set_defaults(run=_serve)

    commands.add_parser(
        "worker", help="run projections and background jobs without the HTTP API"
    ).set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    add_staff_commands(commands, _with_services)

    catalog = commands.add_parser("catalog", help="the service catalogue")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    load = catalog_commands.add_parser("load", help="publish a catalogue JSON file")
    load.add_argument("file")
    load.set_defaults(run=_catalog_load)

    citizen = commands.add_parser("citizen", help="citizens' personal data")
    citizen_commands = citizen.add_subparsers(dest="citizen_command", required=True)
    forget = citizen_commands.add_parser(
        "forget", help="delete a citizen's data key: their personal data reads as erased"
    )
    forget.add_argument("citizen_id")
    forget.set_defaults(run=_citizen_forget)

    projections = commands.add_parser("projections", help="read models")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    rebuild = projection_commands.add_parser("rebuild", help="replay the log into read models")
    rebuild.add_argument("name", nargs="?")
    rebuild.set_defaults(run=_projections_rebuild)

    add_calendar_commands(commands, _with_services)
    add_keys_commands(commands, _with_services)
    add_backup_commands(commands, _with_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``onewindow`` console script."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    from domain.errors import DomainError

    try:
        settings = get_settings()
    except ValueError as exc:  # a setting that cannot be used: say which, start nothing
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        code: int = args.run(args, settings)
    except DomainError as exc:
        errors: dict[str, str] = getattr(exc, "errors", None) or {}
        print(f"error: {exc.detail}", file=sys.stderr)
        for path, problem in errors.items():
            print(f"  {path}: {problem}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
