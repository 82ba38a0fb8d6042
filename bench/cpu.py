"""CPU time per process group on this host, read from /proc (Linux): where a benchmark's
cores went — the app's workers, PostgreSQL, the Celery worker, the load generator."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Snapshot = dict[int, tuple[str, float]]


def snapshot(classify: Callable[[str, str], str]) -> Snapshot:
    """CPU seconds (user + system) of every process, with its group from ``classify(comm,
    cmdline)``. Empty where /proc is missing."""
    found: Snapshot = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (
            classify(comm, cmdline),
            (int(fields[11]) + int(fields[12])) / TICK,
        )
    return found


def spent(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds per group between two snapshots (processes that ended meanwhile are lost:
    keep the measured processes alive across both)."""
    totals: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        earlier = before.get(pid)
        used = seconds - (earlier[1] if earlier and earlier[0] == group else 0.0)
        totals[group] = totals.get(group, 0.0) + used
    return totals
