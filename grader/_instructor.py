"""Two instructor chores around nbgrader: a test student's submission, and the lab's points part by part.

``stage_submission`` makes ``course/submitted/<student>/<lesson>/`` as a learner would hand it in:
the lesson's notebook and its lab as ``lab/`` - either solved (the model answers and the model
lab) or untouched (the release) - so ``nbgrader autograde`` can be tried before the first real
submission. ``export_parts`` reads nbgrader's gradebook (its own ``Gradebook`` API) and writes one
row per student, lesson and lab part, beside ``nbgrader export``'s totals.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from ._course import COURSE_DIR, lab_for_lesson, release_assignment
from ._errors import GraderError
from ._files import ignore_junk, write_atomically
from ._lessons import CELL_PREFIX, LAB_FOLDER
from ._paths import SOLUTIONS_DIR


def stage_submission(*, student: str, lesson: str, solved: bool = True, course_dir: Path = COURSE_DIR) -> Path:
    """A test student's submitted assignment folder; returns it. ``solved``: the model answers."""
    if not student or "/" in student or student.startswith("."):
        raise GraderError(f"a student id is a folder name, not {student!r}")
    if not (course_dir / "source" / lesson).is_dir():
        raise GraderError(f"unknown lesson {lesson!r} (course/source/ has {', '.join(_lessons(course_dir))})")
    released = release_assignment(course_dir=course_dir, assignment=lesson)
    target = course_dir / "submitted" / student / lesson
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    notebook = course_dir / "source" / lesson / f"{lesson}.ipynb" if solved else released / f"{lesson}.ipynb"
    shutil.copy(notebook, target / f"{lesson}.ipynb")  # the source notebook holds the model answers
    manifest = lab_for_lesson(lesson)
    if manifest is not None:
        lab = SOLUTIONS_DIR / manifest.id if solved else released / LAB_FOLDER
        shutil.copytree(lab, target / LAB_FOLDER, ignore=ignore_junk())
    return target


def _lessons(course_dir: Path) -> list[str]:
    return sorted(p.name for p in (course_dir / "source").iterdir() if p.is_dir())


PARTS_COLUMNS = ["student", "lesson", "lab", "part", "score", "max_score"]


def export_parts(*, course_dir: Path = COURSE_DIR, out: Path | None = None) -> Path:
    """Every autograded lab part of every student, from nbgrader's gradebook, as CSV."""
    from nbgrader.api import Gradebook, MissingEntry

    database = course_dir / "gradebook.db"
    if not database.is_file():
        raise GraderError(f"no gradebook in {course_dir}: run nbgrader autograde first")
    out = out or course_dir / "grades-parts.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PARTS_COLUMNS)
    with Gradebook(f"sqlite:///{database}") as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            manifest = lab_for_lesson(assignment.name)
            if manifest is None:
                continue
            for student in sorted(gradebook.students, key=lambda s: s.id):
                for part in manifest.parts:
                    try:
                        grade = gradebook.find_grade(
                            f"{CELL_PREFIX}{part.id}", assignment.name, assignment.name, student.id
                        )
                    except MissingEntry:
                        continue  # not submitted, or not autograded yet
                    writer.writerow(
                        [student.id, assignment.name, manifest.id, part.id, f"{grade.score:g}", f"{part.points:g}"]
                    )
    write_atomically(out, buffer.getvalue())
    return out
