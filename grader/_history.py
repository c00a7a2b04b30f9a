"""Your grading history: every grade you run of your own labs, one JSON line each, kept locally.

``grader grade`` and ``grader.check`` append to ``.grader/history.jsonl`` at the top of the course
(git-ignored); ``grader progress`` (``make progress``) and ``grader.progress()`` show each lab's best
and latest score per part, and the scores over attempts. Only your own labs count: a grade of
another folder (a solution, a kept submission) or one that could not grade is not written.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

from ._paths import LABS_DIR, REPO_ROOT
from ._results import Results, Status

HISTORY = REPO_ROOT / ".grader" / "history.jsonl"


@dataclasses.dataclass(frozen=True)
class Attempt:
    when: str  # ISO 8601, UTC
    lab: str
    score: float
    max_score: float
    parts: dict[str, float]  # part id -> score (only the parts graded)
    partial: bool
    backend: str


def record(results: Results, *, submission: str | Path | None = None, path: Path = HISTORY) -> Attempt | None:
    """Append a grade of the learner's own lab (``labs/<lab>``, the default submission)."""
    own = LABS_DIR / results.lab
    if results.status is Status.ERROR or (submission is not None and Path(submission).resolve() != own.resolve()):
        return None
    attempt = Attempt(
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        lab=results.lab,
        score=results.score,
        max_score=results.max_score,
        parts={part.id: part.score for part in results.parts},
        partial=results.partial,
        backend=str(results.backend),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(dataclasses.asdict(attempt)) + "\n")
    except OSError:
        return None  # a read-only checkout still grades
    return attempt


def load(path: Path = HISTORY) -> list[Attempt]:
    """Every attempt, oldest first; lines that are not attempts are skipped."""
    attempts = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            data: dict[str, Any] = json.loads(line)
            attempts.append(Attempt(**data))
        except (ValueError, TypeError):
            continue
    return attempts


@dataclasses.dataclass(frozen=True)
class LabProgress:
    lab: str
    attempts: int
    best: dict[str, float]  # part id -> best score seen (partial grades count)
    latest: dict[str, float]  # part id -> the score of its latest grading
    totals: list[float]  # score of each whole-lab attempt, in order


def summarise(attempts: list[Attempt]) -> list[LabProgress]:
    """Per lab, in lab order: best and latest per part, and the scores of whole-lab attempts."""
    labs: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        labs.setdefault(attempt.lab, []).append(attempt)
    summary = []
    for lab in sorted(labs):
        best: dict[str, float] = {}
        latest: dict[str, float] = {}
        for attempt in labs[lab]:
            for part, score in attempt.parts.items():
                best[part] = max(best.get(part, score), score)
                latest[part] = score
        totals = [a.score for a in labs[lab] if not a.partial]
        summary.append(LabProgress(lab, len(labs[lab]), best, latest, totals))
    return summary
