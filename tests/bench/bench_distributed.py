"""Grading a class on Celery workers: `grader batch --broker` with 1 and 2 workers on this host.

A script, not a test (`make bench`): it prints a throughput table. The class is N submissions
of Lab 00 (default 16, no two byte-identical: bench_batch's mix of solution, scaffold and an
unfinished quote_total), graded by `grader worker` processes on this machine's Docker engine
through a throwaway Redis, then once more by a local `grader batch -j 1` for comparison. Every
run starts from an empty Redis and an empty output folder, so each grades the whole class; one
untimed grading first warms the machine up (the first run after a pause is much slower).

On one host, two workers share its cores: the ratio says what the queue costs and how two
workers share a machine, not what two hosts give (about twice one, when grading is the work).
On the 2-core machine, loaded by other jobs (load average 5 to 20), 6 submissions, three runs:
one worker 19 to 28 s, two workers 16 to 23 s, a local `-j 1` 16 to 32 s. The noise is larger
than the queue's cost; Lab 00 asks 2 CPUs a grading, so a second worker on the same two cores
has little to add.

    python tests/bench/bench_distributed.py [--students 16] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader import batch, grade
from grader._paths import LABS_DIR, SOLUTIONS_DIR

LAB = "00-hello"


def make_lab(target: Path, student: int) -> None:
    """bench_batch's mix: solution, scaffold, solution with quote_total unfinished; a note each."""
    kind = student % 3
    shutil.copytree(
        (SOLUTIONS_DIR if kind != 1 else LABS_DIR) / LAB, target, ignore=shutil.ignore_patterns("__pycache__")
    )
    if kind == 2:
        shutil.copy(LABS_DIR / LAB / "app" / "pricing.py", target / "app" / "pricing.py")
    (target / "NOTE.txt").write_text(f"student {student}\n")


def main() -> None:
    from shopdata.servers import redis

    sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/workers.py
    from workers import workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        work = Path(tmp)
        klass = work / "class"
        for student in range(args.students):
            make_lab(klass / f"s{student:03}", student)
        grade(lab=LAB, submission=klass / "s000", backend="docker")  # warm-up, not timed: the first run pays for it
        outs = []
        for run, count in enumerate(int(n) for n in args.workers.split(",")):
            with redis() as url, workers(url, [f"w{n}" for n in range(count)], work):
                started = time.perf_counter()
                summary = batch(lab=LAB, submissions=klass, out=work / f"grades-{run}", broker=url)
                wall = time.perf_counter() - started
            assert summary.graded == args.students and summary.errors == 0, summary
            rows.append((f"grader batch --broker, {count} worker(s) -c 1", wall))
            outs.append(summary.gradebook)
        started = time.perf_counter()
        local = batch(lab=LAB, submissions=klass, out=work / "grades-local", jobs=1, backend="docker")
        rows.append(("grader batch -j 1 (local, no broker)", time.perf_counter() - started))
        assert local.graded == args.students
        assert all(local.gradebook.read_bytes() == out.read_bytes() for out in outs), "a gradebook differs"
    table = Table(title=f"Grading {args.students} Lab 00 submissions on Celery workers (Docker, this host)")
    for column in ("how", "wall s", "submissions / min"):
        table.add_column(column, justify="left" if column == "how" else "right")
    for how, wall in rows:
        table.add_row(how, f"{wall:.1f}", f"{60 * args.students / wall:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
