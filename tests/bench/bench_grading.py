"""Where does grading time go? Two tables, measured in one run (`make bench`).

1. Lab 00's solution, local backend vs Docker (warm runs): Docker at most 3 s wall, and within
   1 s of the local backend, on a 2-core machine with a warm image.
2. Every lab in a container, its solution and its untouched scaffold, each run broken down from
   the sandbox's own timing records: container start (until the supervisor runs), services
   (PostgreSQL, Redis) and, at the same time, pytest's start-up and collection (the tests wait for
   both), learner process start-ups (an app until
   its port answers; a call process until its first answer), each part's tests (without the
   start-ups inside them) and the rest (clean-up, container removal); a lab whose test groups run
   side by side (its manifest's ``groups``) has parts whose times overlap. The course standard's
   budgets on the quiet 2-core machine: a topic lab's solution 20 s (Lab 00: 1.5 s), any
   scaffold 10 s.

A script, not a test::

    python tests/bench/bench_grading.py [--runs 5] [--lab 03-background-jobs ...] [--no-local]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from grader import grade, load_manifest
from grader._backends import get_backend
from grader._backends.docker import docker_client
from grader._manifest import Manifest, lab_ids
from grader._paths import LABS_DIR, SOLUTIONS_DIR
from grader._scoring import SandboxRun, score
from grader._submission import stage

SOLUTION_BUDGET_S = {"00-hello": 1.5}  # every other lab: DEFAULT_SOLUTION_BUDGET_S
DEFAULT_SOLUTION_BUDGET_S = 20.0
SCAFFOLD_BUDGET_S = 10.0


def timings(backend: str, runs: int) -> list[float]:
    grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend=backend)  # warm-up (and image build)
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend=backend)
        walls.append(time.perf_counter() - started)
        assert results.status == "passed", results.message
    return walls


def backends_table(runs: int, local: bool, docker: bool) -> Table:
    backends = (["local"] if local or not docker else []) + (["docker"] if docker else [])
    measured = {backend: timings(backend, runs) for backend in backends}
    table = Table(title=f"grader grade 00-hello --submission solutions/00-hello ({runs} warm runs each)")
    for column in ("backend", "median s", "min s", "max s", "vs local"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    reference = statistics.median(measured["local"]) if "local" in measured else None
    for backend, walls in measured.items():
        median = statistics.median(walls)
        versus = f"{median - reference:+.2f} s" if reference is not None else "-"
        table.add_row(backend, f"{median:.2f}", f"{min(walls):.2f}", f"{max(walls):.2f}", versus)
    return table


def union_s(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of ``intervals`` (start, end)."""
    covered, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered


def overlap_s(intervals: list[tuple[float, float]], a: float, b: float) -> float:
    return union_s([(max(a, x), min(b, y)) for x, y in intervals if min(b, y) > max(a, x)])


@dataclasses.dataclass
class Breakdown:
    """One run's wall time, split by the sandbox's timing records (seconds)."""

    total: float
    container: float
    services: float
    pytest: float  # pytest's start-up and collection (while the services start)
    startups: float  # learner processes starting (their union: parallel starts count once)
    startup_count: int
    parts: dict[str, float]  # each part's tests, without the start-ups inside them
    groups: int  # pytest processes side by side (a manifest's groups): their parts' times overlap
    alone: bool  # the manifest's alone files ran first, by themselves
    rest: float  # between the last test and the results on the host: clean-up, container removal
    score: str

    @classmethod
    def of(cls, manifest: Manifest, run: SandboxRun, started: float, ended: float) -> Breakdown:
        events: dict[str, dict[str, Any]] = {}
        ats: dict[str, list[float]] = {"collected": [], "finished": []}  # one of each per test group
        starts: list[tuple[float, float]] = []
        tests: list[dict[str, Any]] = []
        for record in run.records:
            if record.get("event") == "learner-start":
                starts.append((record["at"] - record["seconds"], record["at"]))
            elif "event" in record:
                events[record["event"]] = record
                ats.get(record["event"], []).append(float(record.get("at", 0.0)))
            elif "nodeid" in record:
                tests.append(record)
        supervisor = events.get("supervisor", {}).get("at", started)
        services_up = events.get("services-up", {})
        collected = min(ats["collected"], default=supervisor)  # the first group to start its tests
        finished = max(ats["finished"], default=ended)  # the last to finish
        parts = {part.id: 0.0 for part in manifest.parts}
        for record in tests:
            part = next((p.id for p, spec in manifest.tests if spec.matches(record["nodeid"])), None)
            a = float(record.get("started_at", collected))
            b = a + float(record.get("duration_s", 0.0))
            if part is not None:
                parts[part] += (b - a) - overlap_s(starts, a, b)
        results = score(manifest, run, backend="docker", duration_s=ended - started)  # type: ignore[arg-type]
        return cls(
            total=ended - started,
            container=supervisor - started,
            services=float(services_up.get("seconds", 0.0)),
            pytest=collected - supervisor,
            startups=union_s(starts),
            startup_count=len(starts),
            parts=parts,
            groups=max(1, len(manifest.groups)),
            alone=bool(manifest.alone),
            rest=ended - finished,
            score="error" if results.status == "error" else f"{results.score:g}/{results.max_score:g}",
        )


def graded(lab: str, submission: Path) -> Breakdown:
    manifest = load_manifest(lab)
    backend = get_backend("docker")
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as staging:
        staged = stage(submission.resolve(), Path(staging) / "submission")
        started = time.time()
        run = backend.run(manifest, staged)
        ended = time.time()
    return Breakdown.of(manifest, run, started, ended)


def labs_table(labs: list[str]) -> Table:
    table = Table(
        title="Each lab in a container: where the time goes (seconds; budgets: solution 20, Lab 00 1.5, scaffold 10)"
    )
    for column in (
        "lab",
        "submission",
        "score",
        "total",
        "budget",
        "container",
        "services",
        "pytest",
        "learner starts",
    ):
        table.add_column(column, justify="left" if column in ("lab", "submission") else "right")
    table.add_column("each part's tests")
    table.add_column("rest", justify="right")
    grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend="docker")  # warm-up (and image build)
    for lab in labs:
        for kind, submission in (("solution", SOLUTIONS_DIR / lab), ("scaffold", LABS_DIR / lab)):
            row = graded(lab, submission)
            print(f"graded {lab} ({kind}): {row.score} in {row.total:.1f} s", flush=True)
            budget = SOLUTION_BUDGET_S.get(lab, DEFAULT_SOLUTION_BUDGET_S) if kind == "solution" else SCAFFOLD_BUDGET_S
            table.add_row(
                lab if kind == "solution" else "",
                kind,
                row.score,
                f"{row.total:.1f}",
                f"{budget:g} {'ok' if row.total <= budget else 'OVER'}",
                f"{row.container:.1f}",
                f"{row.services:.1f}",
                f"{row.pytest:.1f}",
                f"{row.startups:.1f} ({row.startup_count})",
                ", ".join(f"{part} {seconds:.1f}" for part, seconds in row.parts.items())
                + (
                    f" ({'alone, then ' if row.alone else ''}{row.groups} groups side by side)"
                    if row.groups > 1
                    else ""
                ),
                f"{row.rest:.1f}",
            )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs of Lab 00 per backend (table 1)")
    parser.add_argument("--lab", action="append", help="only these labs in table 2 (default: every lab)")
    parser.add_argument("--no-local", action="store_true", help="table 1 without the local backend")
    args = parser.parse_args()
    console = Console(width=None if Console().is_terminal else 220)  # a log file gets the whole table
    docker = docker_client(required=False) is not None
    console.print(backends_table(args.runs, local=not args.no_local, docker=docker))
    if not docker:
        print("Docker is not available: only the local backend was measured.")
        return
    console.print(labs_table(args.lab or lab_ids()))


if __name__ == "__main__":
    main()
