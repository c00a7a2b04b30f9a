"""The gradebook: one row per student, and its CSV (rebuilt on every run)."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from .._files import write_atomically
from .._manifest import Manifest
from .._results import Results, Status
from .._text import inert, spreadsheet_cell

MESSAGE_LIMIT = 200  # characters of the gradebook's message column


@dataclasses.dataclass(frozen=True)
class StudentResult:
    """One row of the gradebook."""

    student: str
    status: Status  # passed, failed (both graded), or error (could not grade)
    score: float
    max_score: float
    parts: dict[str, float]  # part id -> score; empty when the submission could not be graded
    message: str  # one line
    cached: bool = False  # from an earlier run, not graded again
    results_path: Path | None = None

    @classmethod
    def of(
        cls, student: str, results: Results, *, cached: bool = False, results_path: Path | None = None
    ) -> StudentResult:
        return cls(
            student=student,
            status=results.status,
            score=results.score,
            max_score=results.max_score,
            parts={p.id: p.score for p in results.parts} if results.status.graded else {},
            message=" ".join(results.message.split()),
            cached=cached,
            results_path=results_path,
        )

    @classmethod
    def not_graded(cls, student: str, manifest: Manifest, message: str) -> StudentResult:
        """An error row for a student whose grading did not happen or could not be kept."""
        return cls(
            student=student, status=Status.ERROR, score=0.0, max_score=manifest.max_score, parts={}, message=message
        )


def write_gradebook(path: Path, manifest: Manifest, students: tuple[StudentResult, ...]) -> None:
    """student, status, score, max_score, one column per part (empty when not graded), message."""
    parts = [p.id for p in manifest.parts]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "status", "score", "max_score", *parts, "message"])
    for s in students:
        message = inert(s.message)
        message = message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."
        writer.writerow(
            [
                spreadsheet_cell(inert(s.student)),
                str(s.status),
                f"{s.score:g}",
                f"{s.max_score:g}",
                *(f"{s.parts[p]:g}" if p in s.parts else "" for p in parts),
                spreadsheet_cell(message),
            ]
        )
    write_atomically(path, buffer.getvalue())
