"""``python -m bench.soak`` (``make soak``): ``SOAK_SECONDS`` (default 600), ``SOAK_RATE`` (a
multiplier of the base rates, default 1), ``SOAK_KEEP`` (a directory to keep logs in)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import msgspec

from bench.soak.cluster import cluster
from bench.soak.report import markdown
from bench.soak.run import soak


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    rate = float(os.environ.get("SOAK_RATE", "1"))
    keep = os.environ.get("SOAK_KEEP")
    print(f"soak: {seconds:.0f} s at rate x{rate} ...", flush=True)
    with cluster(Path(keep) if keep else None) as root:
        result = asyncio.run(soak(root, seconds, rate))
    out = Path("var/soak")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_bytes(msgspec.json.format(msgspec.json.encode(result), indent=2))
    print(markdown(result))
    print(f"\n(figures in {path})")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
