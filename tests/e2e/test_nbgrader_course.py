"""The instructor's workflow, end to end, with nbgrader's own commands and the container grader.

Lesson 00 is released; six students submit the assignment folder (notebook and lab/):

- alice: every exercise and the whole lab solved;
- bob: the release untouched;
- carol: one exercise solved, and a lab whose quote_total still raises NotImplementedError;
- mallory: the scaffold with forged results files everywhere, plus a notebook cell that switches
  off the lab cells' own check, so that without the grader they would pass;
- eve: the scaffold, and a notebook cell that copies the model answer into her lab/ before it is
  graded and leaves a file in the course folder - which a kernel on the instructor's machine
  could do, and the grading container's cannot;
- trudy: a lab/ whose files are symbolic links to the model answer and to a hidden test (nbgrader
  copies what links point to): neither run nor graded, with the reason as her feedback.

Then autograde, feedback and export: the gradebook and grades.csv hold what each one earned.
`grader autograde --jobs 2` on three of the same submissions writes the same gradebook rows.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from expectations import FULL, PRICING_BROKEN, ZERO
from gradebooks import submissions

from grader._autograde import Outcome, autograde
from grader._course import COURSE_DIR, nbgrader, release_assignment
from grader._paths import SOLUTIONS_DIR, SUITES_DIR

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ASSIGNMENT = "00-welcome"
EXERCISES = {"top_customers_tests": 3, "december_share_tests": 2, "discount_half_up_tests": 3}
SKIP = shutil.ignore_patterns("__pycache__", "release", "submitted", "autograded", "feedback", "gradebook.db")


def solved(release: nbformat.NotebookNode, source: nbformat.NotebookNode, exercises) -> nbformat.NotebookNode:
    """The released notebook with the source's solution cells filled in for ``exercises``."""
    answers = {
        c.metadata.nbgrader["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in exercises:
            cell.source = answers[grade_id]
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory, docker_image) -> Path:
    """A copy of the course, released, submitted by six students, autograded, with feedback and export."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(COURSE_DIR, course, ignore=SKIP)  # links resolved: a real source folder
    released = release_assignment(course_dir=course, assignment=ASSIGNMENT)
    release = nbformat.read(released / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(COURSE_DIR / f"{ASSIGNMENT}.ipynb", as_version=4)

    def submit(student: str, notebook, lab: Path, overlay: dict[str, str | Path] | None = None) -> None:
        folder = course / "submitted" / student / ASSIGNMENT
        shutil.copytree(lab, folder / "lab", ignore=shutil.ignore_patterns("__pycache__"))
        for name, content in (overlay or {}).items():
            target = folder / "lab" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(content, target) if isinstance(content, Path) else target.write_text(content)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")

    submit(
        "alice",
        solved(release, source, ["top_customers", "december_share", "discount_half_up"]),
        SOLUTIONS_DIR / "00-hello",
    )
    submit("bob", release, released / "lab")
    submit(
        "carol",
        solved(release, source, ["top_customers"]),
        SOLUTIONS_DIR / "00-hello",
        {"app/pricing.py": released / "lab" / "app" / "pricing.py"},
    )
    forged = nbformat.from_dict(release)  # before the lab section: its heading and four part cells
    forged.cells.insert(-5, nbformat.v4.new_code_cell('import os\nos.environ["NBGRADER_EXECUTION"] = "no"'))
    fake = Path(__file__).parents[1] / "submissions" / "00-hello" / "hostile-fake-results"
    submit(
        "mallory",
        forged,
        released / "lab",
        {str(p.relative_to(fake)): p for p in fake.rglob("*") if p.is_file()}
        | {"../lab-results.json": '{"score": 25}'},
    )

    break_in = nbformat.from_dict(release)
    break_in.cells.insert(
        -5,
        nbformat.v4.new_code_cell(
            "import shutil\n"
            "try:\n"
            f"    shutil.copytree({str(SOLUTIONS_DIR / '00-hello')!r}, 'lab', dirs_exist_ok=True)\n"
            f"    open({str(course / 'eve-was-here')!r}, 'w').close()\n"
            "except OSError as exc:\n"
            "    print(exc)"
        ),
    )
    submit("eve", break_in, released / "lab")
    submit("trudy", release, released / "lab")
    linked = course / "submitted" / "trudy" / ASSIGNMENT / "lab"
    (linked / "app" / "pricing.py").unlink()
    (linked / "app" / "pricing.py").symlink_to(SOLUTIONS_DIR / "00-hello" / "app" / "pricing.py")
    (linked / "notes.txt").symlink_to(SUITES_DIR / "00-hello" / "test_pricing.py")

    shutil.copytree(course, course.parent / "parallel", symlinks=True)  # for grader autograde
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    nbgrader(course, "export")
    return course


def grades(course: Path, students=("alice", "bob", "carol", "mallory", "eve", "trudy")) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "duckshop-backend") as gradebook:
        return {
            student: {
                g.name: g.score for g in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).grades
            }
            for student in students
        }


def lab_parts(scores: dict) -> dict:
    return {name.removeprefix("lab-"): score for name, score in scores.items() if name.startswith("lab-")}


def test_the_release_has_no_solutions_and_no_hidden_suite(course):
    released = course / "release" / ASSIGNMENT
    text = (released / f"{ASSIGNMENT}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    files = {p.relative_to(released / "lab") for p in (released / "lab").rglob("*") if p.is_file()}
    hidden = {p.name for p in (SUITES_DIR / "00-hello").rglob("*.py")}
    assert files and not {f.name for f in files} & hidden - {"__init__.py"}
    for name in files:  # the scaffold, byte for byte
        assert (released / "lab" / name).read_bytes() == (COURSE_DIR.parent / "labs" / "00-hello" / name).read_bytes()


def test_the_gradebook_scores_each_lab_part(course):
    scores = grades(course)
    assert lab_parts(scores["alice"]) == FULL
    assert lab_parts(scores["bob"]) == ZERO
    assert lab_parts(scores["carol"]) == PRICING_BROKEN
    assert lab_parts(scores["mallory"]) == ZERO  # the kernel's outputs never count
    assert lab_parts(scores["eve"]) == ZERO  # her kernel ran in a container, on a copy
    assert not (course / "eve-was-here").exists()
    assert {k: v for k, v in scores["carol"].items() if k in EXERCISES} == {
        "top_customers_tests": 3,
        "december_share_tests": 0,
        "discount_half_up_tests": 0,
    }


def test_grades_csv_holds_each_students_total(course):
    with open(course / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == ASSIGNMENT}
    total = sum(EXERCISES.values()) + sum(FULL.values())
    assert {s: (float(r["score"]), float(r["max_score"])) for s, r in rows.items()} == {
        "alice": (total, total),
        "bob": (0, total),
        "carol": (3 + sum(PRICING_BROKEN.values()), total),
        "mallory": (0, total),
        "eve": (0, total),
        "trudy": (0, total),
    }


def test_feedback_shows_results_and_hints_but_no_hidden_code(course):
    page = (course / "feedback" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "0 of 6 points for Pricing in integer cents" in page
    manifest_hint = "course/00-welcome.ipynb"  # every hint names the lesson section to revisit
    assert manifest_hint in page
    assert "Scored from your lab/ folder by the course" in page
    assert "LabGrades" not in page, "the lab cells' guard is shown in feedback"
    for test_file in (SUITES_DIR / "00-hello").glob("test_*.py"):
        for line in test_file.read_text().splitlines():
            if line.strip().startswith(("assert ", "def test_")):
                assert line.strip() not in page, f"hidden test code in the feedback: {line.strip()}"


def test_a_submission_of_symbolic_links_scores_zero_with_the_reason(course):
    assert lab_parts(grades(course)["trudy"]) == ZERO
    page = (course / "feedback" / "trudy" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "the submission holds symbolic links (lab/app/pricing.py, lab/notes.txt)" in page
    assert "def test_" not in page


def test_grader_autograde_in_parallel_writes_what_nbgrader_wrote(course):
    """Three of the six (full marks, a broken part, refused links), two at a time: the same gradebook rows."""
    parallel, chosen = course.parent / "parallel", ["alice", "carol", "trudy"]
    summary = autograde(assignment=ASSIGNMENT, jobs=2, students=chosen, course_dir=parallel)
    assert {s.student: s.outcome for s in summary.students} == dict.fromkeys(chosen, Outcome.GRADED)
    sequential = submissions(course / "gradebook.db", ASSIGNMENT)
    assert submissions(parallel / "gradebook.db", ASSIGNMENT) == {s: sequential[s] for s in chosen}
    assert lab_parts(grades(parallel, chosen)["carol"]) == PRICING_BROKEN
