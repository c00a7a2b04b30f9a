"""From the sandbox's raw per-test records to ``Results``, using only the manifest.

Scores come from these records alone: a test scores its points only if every one of its
records says "passed". A test with no record (never collected, killed at the deadline, the
sandbox died) scores 0 with a reason, and a skipped test counts as failed.
"""

from __future__ import annotations

import dataclasses

from ._manifest import Manifest, TestSpec
from ._results import PartResult, Results, TestResult


@dataclasses.dataclass(frozen=True)
class SandboxRun:
    """What a backend brings back from the sandbox."""

    records: list[dict]
    log: str = ""  # the sandbox's own output, truncated
    problem: str = ""  # one line, if the sandbox as a whole failed (timeout, out of memory...)


def _test_result(part_id: str, spec: TestSpec, run: SandboxRun, why_missing: str) -> TestResult:
    records = [r for r in run.records if "nodeid" in r and spec.matches(r["nodeid"])]
    file_errors = [r for r in run.records if r.get("nodeid") == spec.name.split("::")[0]]
    base = dict(name=spec.name, part=part_id, max_score=spec.points, hint=spec.hint)
    if not records:
        record = file_errors[0] if file_errors else {"message": why_missing, "output": ""}
        return TestResult(**base, score=0, status="error", message=record["message"], output=record["output"])
    duration = round(sum(r.get("duration_s", 0) for r in records), 3)
    for record in records:
        if record["outcome"] != "passed":
            status = "error" if record["outcome"] == "error" else "failed"
            message = record["message"]
            if record["outcome"] == "skipped":
                message = f"{message} - a skipped hidden test counts as failed"
            return TestResult(**base, score=0, status=status, message=message, output=record["output"],
                              duration_s=duration)
    return TestResult(**base, score=spec.points, status="passed", duration_s=duration)


def _why_missing(run: SandboxRun) -> str:
    events = {r["event"]: r for r in run.records if "event" in r}
    if "deadline" in events:
        return f"not run: the hidden suite hit its {events['deadline']['deadline_s']:g} s time limit"
    if run.problem:
        return f"not run: {run.problem}"
    if "finished" not in events:
        return "not run: the grading sandbox stopped before this test"
    return "not run (the hidden suite has no such test)"


def score(manifest: Manifest, run: SandboxRun, *, backend: str, duration_s: float) -> Results:
    why_missing = _why_missing(run)
    tests = tuple(_test_result(part.id, spec, run, why_missing) for part, spec in manifest.tests)
    parts = tuple(
        PartResult(id=p.id, title=p.title, max_score=p.points,
                   score=sum(t.score for t in tests if t.part == p.id))
        for p in manifest.parts
    )
    total = sum(t.score for t in tests)
    ran = any("nodeid" in r for r in run.records)
    if not ran and run.problem:
        status, message = "error", run.problem
    else:
        status = "passed" if total == manifest.max_score else "failed"
        message = _summary(tests, run)
    return Results(
        lab=manifest.id, title=manifest.title, score=total, max_score=manifest.max_score, status=status,
        backend=backend, duration_s=round(duration_s, 3), message=message, parts=parts, tests=tests,
        output=run.log[-20000:],
    )


def _summary(tests: tuple[TestResult, ...], run: SandboxRun) -> str:
    passed = sum(t.status == "passed" for t in tests)
    summary = f"{passed} of {len(tests)} tests passed"
    failures = {t.message for t in tests if t.status != "passed"}
    if len(failures) == 1 and passed == 0:
        summary += f": {failures.pop()}"
    if run.problem:
        summary += f" ({run.problem})"
    return summary[:1000]
