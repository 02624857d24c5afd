"""What the soak runs: its own PostgreSQL, the outside world (fake WeChat, WeChat Pay and SF in
this process, on loopback ports of their own, so the soak can take them down), one API process
and two projection workers, configured as a real deployment is: WeChat credentials and URLs,
no sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import asyncpg
import psutil

from backend.bootstrap import bootstrap
from backend.demo_data import load_demo
from backend.settings import Settings
from bench.processes import free_port, onewindow_env, start, stop, wait_healthy
from bench.soak.postgres import Postgres
from integrations.courier import FakeSf
from integrations.wechat import FakeWeChat
from integrations.wechat.fake_pay import FakeWeChatPay

__all__ = ["Cluster", "cluster"]

SECRET = "soak-secret-key-not-for-production-0123456789"  # noqa: S105 - a scratch server
PUSH_TOKEN = "soak-courier-push-token"  # noqa: S105
METRICS_TOKEN = "soak-metrics"  # noqa: S105
MCH_ID, PAY_KEY = "1900000109", "soakmerchantapikey00000000000000"
_log = logging.getLogger(__name__)


class Cluster:
    """The processes and fakes of one soak run, and the faults it can inject."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.postgres = Postgres(root / "pg")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # fixed ports: a fake taken down comes back where the app expects it
        self.wechat = FakeWeChat(port=free_port())
        self.pay = FakeWeChatPay(self.wechat.appid, MCH_ID, PAY_KEY, port=free_port())
        self.sf = FakeSf(port=free_port(), push_url=f"{self.base_url}/webhooks/courier/sf")
        for fake in (self.wechat, self.pay, self.sf):
            fake.start()
        self.sf.push_url = f"{self.sf.push_url}?token={PUSH_TOKEN}"
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        """A real deployment's settings, pointed at the fakes."""
        return onewindow_env(
            self.postgres.url,
            self.root / "data",
            SECRET,
            ONEWINDOW_WECHAT_APPID=self.wechat.appid,
            ONEWINDOW_WECHAT_SECRET=self.wechat.secret,
            ONEWINDOW_WECHAT_API_BASE_URL=self.wechat.base_url,
            ONEWINDOW_WECHAT_PAY_MCH_ID=MCH_ID,
            ONEWINDOW_WECHAT_PAY_API_KEY=PAY_KEY,
            ONEWINDOW_WECHAT_PAY_API_BASE_URL=self.pay.base_url,
            ONEWINDOW_PUBLIC_BASE_URL=self.base_url,
            ONEWINDOW_SF_PARTNER_ID=self.sf.partner_id,
            ONEWINDOW_SF_CHECK_WORD=self.sf.check_word,
            ONEWINDOW_SF_API_URL=self.sf.url,
            ONEWINDOW_COURIER_PUSH_TOKEN=PUSH_TOKEN,
            ONEWINDOW_COURIER_POLL_SECONDS="1",
            ONEWINDOW_METRICS_TOKEN=METRICS_TOKEN,
            ONEWINDOW_PROJECTION_WAIT_SECONDS="5",
            **extra,
        )

    async def prepare(self) -> None:
        """Schema, the demo catalogue, halls and staff (as ``serve --demo`` loads them)."""
        settings = Settings(
            data_dir=self.root / "data", database_url=self.postgres.url, secret_key=SECRET
        )
        async with bootstrap(settings, run_workers=False) as services:
            await load_demo(services)

    def _log_file(self, name: str) -> IO[bytes]:
        log = (self.root / f"{name}.log").open("ab")
        self._logs.append(log)
        return log

    def start_api(self) -> None:
        """One API process without background work (the workers do that)."""
        env = self.env(ONEWINDOW_RUN_WORKERS="0")
        self.api = start("serve", "--port", str(self.port), env=env, log=self._log_file("api"))
        wait_healthy(self.port, self.api)

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A projection worker (and the jobs and dispatchers)."""
        number = len(self.workers) + 1
        worker = start("worker", env=self.env(), log=self._log_file(f"worker{number}"))
        self.workers.append(worker)
        return worker

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def rss(self, process: subprocess.Popen[bytes] | None) -> int:
        """Resident memory of a process in bytes (0 once it is gone)."""
        if process is None:
            return 0
        with contextlib.suppress(psutil.Error):
            return int(psutil.Process(process.pid).memory_info().rss)
        return 0

    async def leader(self, conn: asyncpg.Connection) -> int | None:
        """The pid of the process leading the progress projection (its advisory lock)."""
        name = await conn.fetchval(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted"
            " AND ((l.classid::bigint << 32) | l.objid::bigint)"
            "     = hashtextextended('onewindow-projection:progress', 0)"
        )
        return int(name.removeprefix("onewindow-")) if name else None

    def kill(self, pid: int) -> None:
        """kill -9, as a crash or the OOM killer would."""
        os.kill(pid, signal.SIGKILL)
        for worker in self.workers:
            if worker.pid == pid:
                worker.wait(timeout=10)

    async def close(self) -> None:
        processes = [p for p in [self.api, *self.workers] if p is not None]
        await asyncio.gather(*(asyncio.to_thread(stop, p) for p in processes))
        for fake in (self.wechat, self.pay, self.sf):
            fake.stop()
        if self.postgres.pid() is not None:
            await asyncio.to_thread(self.postgres.stop)
        for log in self._logs:
            log.close()


@contextlib.contextmanager
def cluster(keep: Path | None = None) -> Iterator[Path]:
    """A scratch directory for one run (kept when ``keep`` is given: logs to read)."""
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)  # a run never builds on another's data
        keep.mkdir(parents=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="onewindow-soak-") as tmp:
        yield Path(tmp)
