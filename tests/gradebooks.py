"""What an nbgrader gradebook holds for an assignment's submissions, to compare two gradebooks:
a sequential `nbgrader autograde`'s and `grader autograde --jobs N`'s must be the same."""

from __future__ import annotations

from pathlib import Path

COURSE_ID = "duckshop-backend"  # course/nbgrader_config.py


def submissions(database: Path, assignment: str) -> dict[str, tuple]:
    """Per student: the submission's timestamp and total, then per notebook its late penalty, every
    grade (automatic, manual, extra credit, needs review) and every comment (automatic, manual)."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{database}", COURSE_ID) as gradebook:
        for submission in gradebook.find_assignment(assignment).submissions:
            notebooks = {
                notebook.name: (
                    notebook.late_submission_penalty,
                    sorted(
                        (g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                        for g in notebook.grades
                    ),
                    sorted((c.name, c.auto_comment, c.manual_comment) for c in notebook.comments),
                )
                for notebook in submission.notebooks
            }
            found[submission.student.id] = (submission.timestamp, submission.score, submission.max_score, notebooks)
    return found
