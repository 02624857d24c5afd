"""``onewindow staff create|update|deactivate``: staff accounts from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from domain.actors import STAFF_ROLES
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.services import Services
    from backend.settings import Settings

__all__ = ["add_staff_commands"]

WithServices = Callable[["Settings", Callable[["Services"], Awaitable[Any]]], Any]
_ROLES = sorted(STAFF_ROLES)


def add_staff_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], with_services: WithServices
) -> None:
    """Register ``staff create``, ``staff update`` and ``staff deactivate``; ``with_services``
    runs the work inside a bootstrapped app (passed in to keep the imports one-way)."""
    staff = commands.add_parser("staff", help="staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    create = staff_commands.add_parser("create", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", required=True, choices=_ROLES)
    create.add_argument("--department")
    create.set_defaults(run=lambda args, settings: _create(args, settings, with_services))
    update = staff_commands.add_parser("update", help="change an account's role or department")
    update.add_argument("--username", required=True)
    update.add_argument("--role", choices=_ROLES)
    update.add_argument("--department")
    update.set_defaults(run=lambda args, settings: _update(args, settings, with_services))
    deactivate = staff_commands.add_parser(
        "deactivate", help="close an account: its tokens and sessions stop at once"
    )
    deactivate.add_argument("--username", required=True)
    deactivate.set_defaults(run=lambda args, settings: _deactivate(args, settings, with_services))


def _create(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.accounts.commands import create_staff

    async def work(services: Services) -> None:
        staff_id = await create_staff(
            services.pool, args.username, args.password, args.role, args.department
        )
        print(f"created {args.role} {args.username} ({staff_id})")

    with_services(settings, work)
    return 0


async def _account(services: Services, username: str) -> Any:
    row = await services.pool.fetchrow(
        "SELECT id, role, department FROM staff WHERE username = $1", username
    )
    if row is None:
        raise NotFound(f"没有工作人员账号“{username}”")
    return row


def _update(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.accounts.commands import update_staff

    async def work(services: Services) -> None:
        row = await _account(services, args.username)
        role = args.role or row["role"]
        department = args.department if args.department is not None else row["department"]
        await update_staff(services, row["id"], role=role, department=department, by="cli")
        print(f"{args.username}: {role} of {department or '-'}, from its next request")

    with_services(settings, work)
    return 0


def _deactivate(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.accounts.commands import deactivate_staff

    async def work(services: Services) -> None:
        row = await _account(services, args.username)
        await deactivate_staff(services, row["id"], by="cli")
        print(f"deactivated {args.username}: its tokens and sessions stop working now")

    with_services(settings, work)
    return 0
