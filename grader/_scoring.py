"""From the sandbox's raw per-test records to ``Results``, using only the manifest.

Scores come from these records alone: a test scores its points only if every case pytest
collected for it has a record that says "passed". A test with no record (never collected,
killed at the deadline, the sandbox died) scores 0 with a reason, and a skipped test counts as
failed. A run that did not finish (no "collected" or "finished" record, its deadline hit,
records lost) is no grade at all: status error, graded again next time. Learner-influenced
text is made inert (``_text``) here, before it reaches any output.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from ._manifest import Manifest, TestSpec
from ._results import BackendName, PartResult, Results, Status, TestResult
from ._text import inert


@dataclasses.dataclass(frozen=True)
class SandboxRun:
    """What a backend brings back from the sandbox."""

    records: list[dict[str, Any]]
    log: str = ""  # the sandbox's own output, truncated: for instructors only
    problem: str = ""  # one line, if the sandbox as a whole failed (timeout, out of memory...)


def _inert_record(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "message": inert(str(record.get("message", ""))), "output": inert(str(record.get("output", "")))}


def _test_result(part_id: str, spec: TestSpec, run: SandboxRun, collected: list[str], why_missing: str) -> TestResult:
    records = {r["nodeid"]: _inert_record(r) for r in run.records if "nodeid" in r and spec.matches(r["nodeid"])}
    file_errors = [_inert_record(r) for r in run.records if r.get("nodeid") == spec.name.split("::")[0]]
    result = functools.partial(TestResult, name=spec.name, part=part_id, max_score=spec.points, hint=spec.hint)
    if not records:
        record = file_errors[0] if file_errors else {"message": why_missing, "output": ""}
        return result(score=0, status=Status.ERROR, message=record["message"], output=record["output"])
    duration = round(sum(r.get("duration_s", 0) for r in records.values()), 3)
    for record in records.values():
        if record["outcome"] != "passed":
            status = Status.ERROR if record["outcome"] == "error" else Status.FAILED
            message = record["message"]
            if record["outcome"] == "skipped":
                message = f"{message} - a skipped hidden test counts as failed"
            return result(score=0, status=status, message=message, output=record["output"], duration_s=duration)
    # Every case pytest collected must have passed, not only those that ran (a run cut short
    # after two of three parametrised cases scores nothing for the test).
    not_run = [nodeid for nodeid in collected if spec.matches(nodeid) and nodeid not in records]
    if not_run:
        message = f"{len(not_run)} of {len(not_run) + len(records)} cases did not run ({why_missing})"
        return result(score=0, status=Status.ERROR, message=message, duration_s=duration)
    return result(score=spec.points, status=Status.PASSED, duration_s=duration)


def _events(run: SandboxRun) -> dict[str, dict[str, Any]]:
    return {r["event"]: r for r in run.records if "event" in r}


def _per_run(run: SandboxRun, event: str) -> list[dict[str, Any]]:
    """The ``event`` records ("collected", "finished"), one per pytest process of the run (test
    groups run side by side, each in its own)."""
    return list({r.get("group", 0): r for r in run.records if r.get("event") == event}.values())


def _all_ran(run: SandboxRun, event: str) -> bool:
    """Whether every pytest process of the run wrote its ``event`` record."""
    expected = int(_events(run).get("runs", {}).get("count", 1))
    return len(_per_run(run, event)) >= expected


def _collected(run: SandboxRun) -> list[str]:
    return [str(nodeid) for record in _per_run(run, "collected") for nodeid in record.get("nodeids", [])]


def _why_missing(run: SandboxRun) -> str:
    events = _events(run)
    if "deadline" in events:
        return f"not run: the hidden suite hit its {events['deadline']['deadline_s']:g} s time limit"
    if run.problem:
        return f"not run: {run.problem}"
    if not _all_ran(run, "finished"):
        return "not run: the grading sandbox stopped before this test"
    return "not run (the hidden suite has no such test)"


def unfinished(run: SandboxRun) -> str:
    """Why this run is no grade ("" if it finished): a run that did not end normally, or lost
    records, cannot say what the submission deserves - it is an error, graded again next time."""
    events = _events(run)
    if "deadline" in events:
        return f"the hidden suite did not finish within its {events['deadline']['deadline_s']:g} s time limit"
    if not _all_ran(run, "collected") or not _all_ran(run, "finished"):
        return run.problem or "the test runner stopped before the end of the hidden suite (killed, or out of memory?)"
    lost = sum(int(record.get("records_lost", 0)) for record in _per_run(run, "finished"))
    if lost:
        return f"{lost} test records could not be written (is the disk full?)"
    return ""


def score(manifest: Manifest, run: SandboxRun, *, backend: BackendName, duration_s: float) -> Results:
    why_missing = _why_missing(run)
    collected = _collected(run)
    tests = tuple(_test_result(part.id, spec, run, collected, why_missing) for part, spec in manifest.tests)
    parts = tuple(
        PartResult(id=p.id, title=p.title, max_score=p.points, score=sum(t.score for t in tests if t.part == p.id))
        for p in manifest.parts
    )
    total = sum(t.score for t in tests)
    problem = unfinished(run)
    if problem:
        # No grade: the tests that did run are kept for the record, the total is not a score.
        status, message, total = Status.ERROR, problem, 0.0
    else:
        status = Status.PASSED if total == manifest.max_score else Status.FAILED
        message = _summary(tests, run)
    return Results(
        lab=manifest.id,
        title=manifest.title,
        score=total,
        max_score=manifest.max_score,
        status=status,
        backend=backend,
        duration_s=round(duration_s, 3),
        message=message,
        parts=parts,
        tests=tests,
        partial=manifest.partial,
        log=run.log,
    )


def _summary(tests: tuple[TestResult, ...], run: SandboxRun) -> str:
    passed = sum(t.status is Status.PASSED for t in tests)
    summary = f"{passed} of {len(tests)} tests passed"
    failures = {t.message for t in tests if t.status is not Status.PASSED}
    if len(failures) == 1 and passed == 0:
        summary += f": {failures.pop()}"
    if run.problem:
        summary += f" ({run.problem})"
    return summary[:1000]
