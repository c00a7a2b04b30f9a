"""How long does grading Lab 00's solution take? Local backend vs Docker, measured in one run.

A script, not a test: it prints a table (`make bench`). Targets on a 2-core machine with a warm
image: Docker at most 3 s wall, and within 1 s of the local backend.
"""

from __future__ import annotations

import statistics
import sys
import time

from rich.console import Console
from rich.table import Table

from grader import grade
from grader._backends.docker import docker_client
from grader._paths import SOLUTIONS_DIR

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def timings(backend: str) -> list[float]:
    grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend=backend)  # warm-up (and image build)
    walls = []
    for _ in range(RUNS):
        started = time.perf_counter()
        results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend=backend)
        walls.append(time.perf_counter() - started)
        assert results.status == "passed", results.message
    return walls


def main() -> None:
    backends = ["local"] + (["docker"] if docker_client(required=False) else [])
    measured = {backend: timings(backend) for backend in backends}
    table = Table(title=f"grader grade 00-hello --submission solutions/00-hello ({RUNS} warm runs each)")
    for column in ("backend", "median s", "min s", "max s", "vs local"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    local = statistics.median(measured["local"])
    for backend, walls in measured.items():
        median = statistics.median(walls)
        table.add_row(backend, f"{median:.2f}", f"{min(walls):.2f}", f"{max(walls):.2f}", f"{median - local:+.2f} s")
    Console().print(table)
    if "docker" not in measured:
        print("Docker is not available: only the local backend was measured.")


if __name__ == "__main__":
    main()
