"""What a soak run must show, checked against the database and the fakes once it has settled:
no 5xx but the 503s the faults explain, every acknowledged write in the event store and the read
models, memory flat after warm-up, bounded lag, an outbox that caught up and sent nothing twice,
a takeover after the kill."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import asyncpg

if TYPE_CHECKING:
    from bench.soak.cluster import Cluster
    from bench.soak.load import Load
    from bench.soak.records import Call
    from bench.soak.run import Fault, Samples, Timeline

__all__ = ["check", "percentile"]

OUTAGE_BOUND_S = 10.0  # no request may take longer while PostgreSQL is down
RECOVERY_GRACE_S = 10.0  # 503s are still explained this long after PostgreSQL is back
IN_FLIGHT_S = 2.0  # and this long before a fault began
LAG_BOUND = 2_000  # events a projection may fall behind (outside the outage)
MEMORY_GROWTH = 0.10  # of the API process's RSS after warm-up
TAKEOVER_BOUND_S = 10.0
# WeChat back after its outage: the messages that waited are due at once (the dispatcher's
# catch-up rule), so the backlog goes out at sending pace, about 2 s on this 2-core machine;
# waiting out the backoff instead takes 40 s and more after a minute's outage
OUTBOX_CATCH_UP_S = 20.0


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _explained(call: Call, faults: dict[str, Fault]) -> bool:
    """A 5xx the faults explain: 503 ``unavailable`` with Retry-After, while PostgreSQL was
    down (any request) or WeChat was (its logins)."""
    if call.status != 503 or call.code != "unavailable" or not call.retry_after:
        return False
    postgres, wechat = faults["postgres stopped"], faults["wechat down"]
    # (a request that started just before a fault meets it on its way)
    if postgres.start - IN_FLIGHT_S <= call.at <= postgres.end + RECOVERY_GRACE_S:
        return True
    return call.kind == "login" and wechat.start - IN_FLIGHT_S <= call.at <= wechat.end + 3


def _kinds(load: Load, seconds: float) -> dict[str, dict[str, float]]:
    by_kind: dict[str, list[Call]] = defaultdict(list)
    for call in load.calls:
        by_kind[call.kind].append(call)
    table = {}
    for kind, calls in sorted(by_kind.items()):
        ok = [c.seconds * 1000 for c in calls if c.status < 400]
        table[kind] = {
            "requests": len(calls),
            "per_second": len(calls) / seconds,
            "p50_ms": percentile(ok, 0.50),
            "p99_ms": percentile(ok, 0.99),
            "max_ms": max(ok, default=0.0),
            "non_2xx": sum(1 for c in calls if c.status >= 400),
        }
    return table


async def _stored(conn: asyncpg.Connection, load: Load) -> list[str]:
    """Problems with acknowledged writes: missing from the store or the read models."""
    problems = []
    positions = {a.position for a in load.acks}
    rows = await conn.fetch(
        "SELECT notification_id FROM onewindow_events WHERE notification_id = ANY($1::bigint[])",
        list(positions),
    )
    found = {r["notification_id"] for r in rows}
    problems += [
        f"{a.kind} of {a.aggregate_id} at {a.position}: not stored"
        for a in load.acks
        if a.position not in found
    ]
    # (a command's last event may be another aggregate's: a result issued books a courier)
    first = await conn.fetch(
        "SELECT originator_id, min(notification_id) AS first FROM onewindow_events"
        " WHERE originator_id = ANY($1::uuid[]) GROUP BY 1",
        list({a.aggregate_id for a in load.acks if a.kind in ("submit", "staff")}),
    )
    firsts = {str(r["originator_id"]): r["first"] for r in first}
    problems += [
        f"{a.kind} at {a.position}: {a.aggregate_id} has no event up to it"
        for a in load.acks
        if a.kind in ("submit", "staff")
        and not firsts.get(a.aggregate_id, a.position + 1) <= a.position
    ]
    last: dict[str, str] = {}
    for ack in load.acks:
        if ack.kind in ("submit", "staff"):
            last[ack.aggregate_id] = ack.status
    views = {
        str(r["id"]): r["status"]
        for r in await conn.fetch(
            "SELECT id, status FROM application_view WHERE id = ANY($1::uuid[])", list(last)
        )
    }
    for app_id, status in last.items():
        if app_id not in views:
            problems.append(f"application {app_id}: not in the read model")
        elif app_id not in load.uncertain | load.chains and views[app_id] != status:
            problems.append(f"application {app_id}: read model {views[app_id]}, acked {status}")
    paid = await conn.fetch(
        "SELECT id FROM application_view WHERE id = ANY($1::uuid[])"
        " AND detail->'payment'->>'status' = 'paid'",
        [c.app_id for c in load.paid],
    )
    if len(paid) != len(load.paid):
        problems.append(f"{len(load.paid) - len(paid)} acknowledged payments not paid in view")
    booked = await conn.fetchval(
        "SELECT count(*) FROM appointment_view WHERE id = ANY($1::uuid[]) AND status = 'booked'",
        load.booked,
    )
    if booked != len(load.booked):
        problems.append(f"{len(load.booked) - booked} acknowledged bookings not in the view")
    delivered = await conn.fetchval(
        "SELECT count(*) FROM delivery_view WHERE id = ANY($1::uuid[]) AND status = 'delivered'",
        load.delivered,
    )
    if delivered != len(load.delivered):
        problems.append(f"{len(load.delivered) - delivered} acknowledged deliveries not shown")
    return problems


def _memory(samples: Samples, plan: Timeline) -> dict[str, Any]:
    after = [rss for at, rss in samples.api_rss if at >= plan.warmup and rss]
    workers = [rss for at, rss in samples.worker_rss if at >= plan.warmup and rss]
    if len(after) < 4:
        return {"growth": 0.0, "baseline_mb": 0.0, "final_mb": 0.0}
    baseline = statistics.median(after[:3])
    final = statistics.median(after[-3:])
    return {
        "baseline_mb": baseline / 2**20,
        "final_mb": final / 2**20,
        "peak_mb": max(after) / 2**20,
        "growth": final / baseline - 1,
        "workers_final_mb": (workers[-1] if workers else 0) / 2**20,
        # the curve, every 30 s: is a growth a leak or a warm-up that levels off?
        "api_curve_mb": [
            (round(at), round(rss / 2**20, 1)) for at, rss in samples.api_rss[::6] if rss
        ],
    }


async def check(
    *,
    cluster: Cluster,
    load: Load,
    plan: Timeline,
    faults: list[Fault],
    samples: Samples,
    ended: float,
    settled: float,
) -> dict[str, Any]:
    """Every figure and every verdict of the run."""
    by_name = {f.name: f for f in faults}
    failures = list(load.failures)
    unexplained = [c for c in load.calls if c.status >= 500 and not _explained(c, by_name)]
    failures += [f"{c.at:7.1f}s {c.kind}: HTTP {c.status} {c.code}" for c in unexplained[:20]]
    postgres = by_name["postgres stopped"]
    during = [c.seconds for c in load.calls if postgres.start <= c.at <= postgres.end]
    postgres.figures["max_request_s"] = max(during, default=0.0)
    postgres.figures["answered_503"] = sum(
        1 for c in load.calls if c.status == 503 and postgres.start <= c.at <= postgres.end
    )
    if postgres.figures["max_request_s"] > OUTAGE_BOUND_S:
        failures.append(f"a request took {postgres.figures['max_request_s']:.1f} s in the outage")
    if not 0 <= postgres.figures.get("first_write_after_start_s", -1) <= 15:
        failures.append("no write was acknowledged within 15 s of PostgreSQL's return")
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        failures += await _stored(conn, load)
        outbox = dict(
            await conn.fetch("SELECT status, count(*) FROM notification_outbox GROUP BY 1")
        )
        events = await conn.fetchval("SELECT count(*) FROM onewindow_events")
    finally:
        await conn.close()
    received = len(cluster.wechat.messages())
    if received != outbox.get("sent", 0):
        failures.append(f"WeChat received {received} messages for {outbox.get('sent', 0)} sent")
    if outbox.get("failed", 0) or outbox.get("pending", 0) or outbox.get("sending", 0):
        failures.append(f"the outbox did not drain: {outbox}")
    caught_up = by_name["wechat down"].figures.get("outbox_caught_up_s", -1)
    if not 0 <= caught_up <= OUTBOX_CATCH_UP_S:
        failures.append(
            f"the outbox did not catch up within {OUTBOX_CATCH_UP_S:.0f} s of WeChat's return"
            f" ({caught_up:.1f} s)"
        )
    takeover = by_name["worker killed"].figures.get("takeover_s", -1)
    if not 0 <= takeover <= TAKEOVER_BOUND_S:
        failures.append(f"no worker took the projections over within {TAKEOVER_BOUND_S} s")
    memory = _memory(samples, plan)
    if memory["growth"] >= MEMORY_GROWTH:
        failures.append(f"the API's memory grew by {memory['growth']:.1%} after warm-up")
    outside = [lag for at, lag in samples.lag if not postgres.start <= at <= postgres.end + 15]
    max_lag = max(outside, default=0)
    if max_lag > LAG_BOUND or settled < 0:
        failures.append(f"projection lag reached {max_lag} events (settled: {settled:.1f} s)")
    return {
        "seconds": plan.seconds,
        "load_ended_s": ended,
        "settled_s": settled,
        "events": events,
        "operations": dict(load.done),
        "unavailable": dict(load.unavailable),
        "skipped": dict(load.skipped),
        "kinds": _kinds(load, plan.seconds),
        "acknowledged_writes": len(load.acks),
        "faults": {f.name: {"start": f.start, "end": f.end, **f.figures} for f in faults},
        "lag": {"max": max_lag, "p99": percentile([float(v) for _, v in samples.lag], 0.99)},
        "outbox": {**outbox, "wechat_received": received},
        "memory": memory,
        "failures": failures,
        "ok": not failures,
    }
