"""Same submission, same score, every run: grade each lab's solution and kept submissions N times.

A script, not a test (`make determinism [LAB=..] [N=5] [J=2]`, also run by `make bench`). For
every lab (or only ``--lab``), the solution (full marks in every part) and every kept submission
of ``tests/submissions/<lab>/*/`` (built from its overlay, graded with only the parts its
``expected.toml`` lists) are each graded N times, J containers at a time. It prints a table -
submission, expected score, each distinct result seen and how often - and flags any whose result
varies between runs or differs from what it expects. A result is the per-part scores (or the
grader's error), so two runs that lose the same points in different parts count as different.

Exit status: 0 every submission scored the same in every run, and what it expects; 1 otherwise.

    python tests/bench/determinism.py [--lab 02-apis ...] [--match check-then ...] [-n 5] [-j 2] [--backend docker]

The Python API with a thread pool, not ``grader batch``: a kept submission is graded with only
some parts, which ``batch`` does not do, and each of the N runs is its own grading anyway.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: kept.py
from kept import kept_submissions

from grader import grade, load_manifest
from grader._manifest import lab_ids
from grader._paths import SOLUTIONS_DIR
from grader._results import Status

Outcome = tuple[tuple[str, float], ...] | str  # per-part scores, or the grader's one-line error


@dataclasses.dataclass(frozen=True)
class Subject:
    """One submission to grade N times: where it comes from and what it must score."""

    id: str
    lab: str
    expected: dict[str, float]  # part -> score; graded with only these parts
    build: Callable[[Path], Path]  # target -> the submission folder


def _solution(lab: str) -> Callable[[Path], Path]:
    return lambda target: SOLUTIONS_DIR / lab  # graded in place


def subjects(labs: list[str]) -> list[Subject]:
    found = []
    for lab in labs:
        full = {part.id: part.points for part in load_manifest(lab).parts}
        found.append(Subject(f"{lab}/solution", lab, full, _solution(lab)))
        found += [Subject(k.id, lab, k.scores, k.build) for k in kept_submissions() if k.lab == lab]
    return found


def outcome(results) -> Outcome:
    if results.status == Status.ERROR:
        return f"error: {results.message}"
    return tuple((part.id, part.score) for part in results.parts)


def total(value: Outcome) -> str:
    return value if isinstance(value, str) else f"{sum(score for _, score in value):g}"


def parts_text(value: Outcome) -> str:
    return value if isinstance(value, str) else ", ".join(f"{part} {score:g}" for part, score in value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append", choices=lab_ids(), help="only this lab (repeat for more)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="gradings of each submission (default 5)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="gradings at the same time (default 2)")
    parser.add_argument("--backend", default="docker", choices=("docker", "local"))
    parser.add_argument(
        "--match", action="append", metavar="TEXT", help="only submissions whose id contains TEXT (repeat for more)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.jobs < 1:
        parser.error("--runs and --jobs must be at least 1")
    todo = [s for s in subjects(args.lab or lab_ids()) if not args.match or any(m in s.id for m in args.match)]
    if not todo:
        parser.error(f"no submission's id contains any of {args.match}")
    seen: dict[str, collections.Counter] = {s.id: collections.Counter() for s in todo}
    seconds: dict[str, list[float]] = {s.id: [] for s in todo}
    err = Console(stderr=True, highlight=False)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="determinism-") as tmp:
        built = {s.id: s.build(Path(tmp) / s.id.replace("/", "--")) for s in todo}

        def run(subject: Subject) -> tuple[Subject, Outcome, float]:
            results = grade(
                lab=subject.lab, submission=built[subject.id], backend=args.backend, parts=list(subject.expected)
            )
            return subject, outcome(results), results.duration_s

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run, s) for s in todo for _ in range(args.runs)]
            for done, future in enumerate(as_completed(futures), start=1):
                subject, value, duration = future.result()
                seen[subject.id][value] += 1
                seconds[subject.id].append(duration)
                err.print(f"[{done}/{len(futures)}] {subject.id}: {total(value)}", markup=False)

    table = Table(title=f"Determinism: {args.runs} gradings each ({args.backend}, -j {args.jobs})")
    for column in ("submission", "expected", "seen (score x runs)", "s / run", ""):
        table.add_column(column, justify="right" if column in ("expected", "s / run") else "left")
    flagged = []
    for subject in todo:
        expected = tuple((part, subject.expected[part]) for part in subject.expected)
        counts = seen[subject.id]
        varies = len(counts) > 1
        wrong = any(isinstance(value, str) or dict(value) != subject.expected for value in counts)
        flag = " ".join(word for word, on in (("VARIES", varies), ("UNEXPECTED", wrong)) if on)
        if flag:
            flagged.append((subject, expected, counts))
        table.add_row(
            subject.id,
            total(expected),
            ", ".join(f"{total(value)} x{count}" for value, count in counts.most_common()),
            f"{sum(seconds[subject.id]) / len(seconds[subject.id]):.1f}",
            f"[bold red]{flag}[/]" if flag else "ok",
        )
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)  # ids stay whole in a log
    console.print(table)
    for subject, expected, counts in flagged:
        console.print(f"[bold]{subject.id}[/] expected: {parts_text(expected)}")
        for value, count in counts.most_common():
            console.print(f"    x{count}: {parts_text(value)}", markup=False)
    console.print(
        f"{len(todo)} submissions x {args.runs} runs in {time.monotonic() - started:.0f} s;"
        f" {len(flagged)} flagged (VARIES: not the same every run; UNEXPECTED: not what it expects)"
    )
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
