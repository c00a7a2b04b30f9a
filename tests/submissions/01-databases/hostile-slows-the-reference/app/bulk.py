"""Hostile: a loader ten times slower than it could be, and a daemon that slows the reference down.

The first call forks a daemon that leaves its session (so stopping the loader's process misses
it). When the suite's reference folder appears in HOME, the daemon starts 64 busy processes,
which share the container's cores with the reference, until the loader is called again. If the
daemon survived, the reference would take several times longer, and a loader ten times slower
than it should be would pass "within 5x of the reference".
"""

from __future__ import annotations

import csv
import os
import time
from itertools import islice
from pathlib import Path

from sqlalchemy import insert

from . import times
from .db import engine_for
from .models import Customer

BATCH = 10_000
HOGS = 64  # at nice 10 each weighs a tenth of the reference: many of them outweigh it
HOME = Path(os.environ.get("HOME", "/tmp"))
STOP = HOME / ".hogs-stop"
PIDFILE = HOME / ".daemon-pid"


def _spin() -> None:
    while not STOP.exists():
        for _ in range(100_000):
            pass


def _daemon() -> None:
    seen = {p.name for p in HOME.glob("lab01-reference-*")}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        fresh = {p.name for p in HOME.glob("lab01-reference-*")} - seen
        if fresh:
            seen |= fresh
            STOP.unlink(missing_ok=True)
            for _ in range(HOGS):
                if os.fork() == 0:
                    _spin()
                    os._exit(0)
        time.sleep(0.005)
    os._exit(0)


def _daemon_alive() -> bool:
    try:
        os.kill(int(PIDFILE.read_text()), 0)
        return True
    except (OSError, ValueError):
        return False


def _start_daemon() -> None:
    if os.fork() == 0:  # child: a new session, then a grandchild that nobody waits for
        os.setsid()
        if os.fork() == 0:
            PIDFILE.write_text(str(os.getpid()))
            _daemon()
        os._exit(0)
    os.wait()
    time.sleep(0.2)  # the daemon has looked at HOME before the suite goes on


def load_customers(url: str, csv_path: str) -> int:
    STOP.touch()  # the hogs stop before this load is timed
    if not _daemon_alive():
        _start_daemon()
    started = time.perf_counter()
    loaded = 0
    with open(csv_path, newline="", encoding="utf-8") as f, engine_for(url).begin() as conn:
        rows = csv.DictReader(f)
        while batch := list(islice(rows, BATCH)):
            for row in batch:
                row["created_at"] = times.parse(row["created_at"])
            conn.execute(insert(Customer), batch)
            loaded += len(batch)
    time.sleep(10 * (time.perf_counter() - started))  # ten times slower than the honest load
    return loaded
