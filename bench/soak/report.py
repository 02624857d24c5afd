"""A soak run's figures as Markdown (what docs/reliability.md quotes)."""

from __future__ import annotations

from typing import Any

__all__ = ["markdown"]


def markdown(result: dict[str, Any]) -> str:
    """The run: throughput and latency per kind, the faults, the checks."""
    lines = [
        f"Soak of {result['seconds']:.0f} s: {result['events']} events,"
        f" {result['acknowledged_writes']} acknowledged writes, settled"
        f" {result['settled_s']:.1f} s after the load.",
        "",
        "| kind | requests | per s | p50 ms | p99 ms | max ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        lines.append(
            f"| {kind} | {row['requests']} | {row['per_second']:.1f} | {row['p50_ms']:.0f}"
            f" | {row['p99_ms']:.0f} | {row['max_ms']:.0f} | {row['non_2xx']} |"
        )
    lines += ["", "| fault | at s | for s | figures |", "|---|---:|---:|---|"]
    for name, fault in result["faults"].items():
        figures = ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in fault.items()
            if k not in ("start", "end")
        )
        span = fault["end"] - fault["start"]
        lines.append(f"| {name} | {fault['start']:.0f} | {span:.1f} | {figures} |")
    memory, lag = result["memory"], result["lag"]
    lines += [
        "",
        f"- operations done: {result['operations']}",
        f"- answered 503 (inside fault windows): {result['unavailable']}",
        f"- skipped (nothing to act on yet, or {64} of a kind under way): {result['skipped']}",
        f"- API memory after warm-up: {memory.get('baseline_mb', 0):.1f} MiB ->"
        f" {memory.get('final_mb', 0):.1f} MiB ({memory.get('growth', 0):+.1%}),"
        f" peak {memory.get('peak_mb', 0):.1f} MiB;"
        f" workers {memory.get('workers_final_mb', 0):.1f} MiB",
        f"- projection lag: max {lag['max']} events outside the outage, p99 {lag['p99']:.0f}",
        f"- outbox: {result['outbox']}",
        "- verdict: " + ("**clean**" if result["ok"] else "**FAILED**"),
    ]
    lines += [f"  - {failure}" for failure in result["failures"][:30]]
    return "\n".join(lines)
