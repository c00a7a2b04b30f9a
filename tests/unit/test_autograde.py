"""``grader autograde``'s gradebook side, without running nbgrader: bad input is refused before
anything is written; each worker's copy of the gradebook is merged into the course's by one
writer with exactly the fields nbgrader's autograde writes; an interrupt leaves nothing behind.

(`tests/integration/test_instructor_path.py` and `tests/e2e/test_nbgrader_course.py` run the
real nbgrader and compare with a sequential `nbgrader autograde`.)
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader import GraderError
from grader._autograde import SLOTS_ENV, AutogradeInterrupted, Outcome, _lab_slots, _Workers, autograde, lab_slot

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission
COURSE_ID, ASSIGNMENT = "test-course", "lesson"
CONFIG = f'c = get_config()\nc.CourseDirectory.course_id = "{COURSE_ID}"\n'


def gradebook(path: Path) -> Gradebook:
    return Gradebook(f"sqlite:///{path}", COURSE_ID)


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A gradebook with one released assignment: two graded cells, one answer cell (made once: nbgrader runs alembic)."""
    path = tmp_path_factory.mktemp("released") / "gradebook.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        with gradebook(path) as gb:
            gb.add_assignment(ASSIGNMENT)
            gb.add_notebook(ASSIGNMENT, ASSIGNMENT)
            gb.add_grade_cell("answer_tests", ASSIGNMENT, ASSIGNMENT, max_score=2, cell_type="code")
            gb.add_grade_cell("lab-part", ASSIGNMENT, ASSIGNMENT, max_score=3, cell_type="code")
            gb.add_solution_cell("answer", ASSIGNMENT, ASSIGNMENT)
    return path


@pytest.fixture
def course(tmp_path, monkeypatch, released) -> Path:
    """An nbgrader course with that gradebook and no submissions."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(CONFIG)
    shutil.copy(released, course / "gradebook.db")
    return course


def submit(course: Path, *students: str) -> None:
    for student in students:
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)


def scores(student: str) -> tuple[float, float]:
    """What the fake nbgrader gives a student: a stable function of its id."""
    return float(len(student) % 3), float(sum(map(ord, student)) % 4)


def fake_nbgrader(self, course, assignment, student, copy, extra):
    """What nbgrader's autograde writes, into the worker's own copy, slowly enough to overlap."""
    time.sleep(0.05)
    with gradebook(copy) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student, timestamp="2026-12-01 10:00:00")
        answer, lab = scores(student)
        for grade in submission.notebooks[0].grades:
            grade.auto_score = answer if grade.name == "answer_tests" else lab
            grade.needs_manual_grade = grade.manual_score is not None
        for comment in submission.notebooks[0].comments:
            comment.auto_comment = "No response." if answer == 0 else None
        gb.db.commit()
    return 0, "[AutogradeApp | INFO] done"


def test_bad_input_is_one_error_before_anything_is_written(course, tmp_path):
    before = (course / "gradebook.db").read_bytes()
    with pytest.raises(GraderError, match=r"no submissions of lesson in .*submitted/"):
        autograde(assignment=ASSIGNMENT, course_dir=course)
    submit(course, "alice")
    with pytest.raises(GraderError, match=r"unknown assignment 'nope': the gradebook has lesson"):
        autograde(assignment="nope", course_dir=course)
    with pytest.raises(GraderError, match="no submission of lesson by bob"):
        autograde(assignment=ASSIGNMENT, students=["alice", "bob"], course_dir=course)
    with pytest.raises(GraderError, match="not an nbgrader course"):
        autograde(assignment=ASSIGNMENT, course_dir=tmp_path)
    with pytest.raises(GraderError, match="at least 1, not 0"):
        autograde(assignment=ASSIGNMENT, jobs=0, course_dir=course)
    (course / "gradebook.db").unlink()
    with pytest.raises(GraderError, match="no gradebook at"):
        autograde(assignment=ASSIGNMENT, course_dir=course)
    (course / "gradebook.db").write_bytes(before)
    assert (course / "gradebook.db").read_bytes() == before
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_class_in_parallel_lands_whole_in_the_gradebook(course, tmp_path, monkeypatch):
    students = [f"s{i:02}" for i in range(12)]
    submit(course, *students)
    running, most = set(), 0
    lock = threading.Lock()

    def overlapping(self, course_, assignment, student, copy, extra):
        nonlocal most
        with lock:
            running.add(student)
            most = max(most, len(running))
        try:
            return fake_nbgrader(self, course_, assignment, student, copy, extra)
        finally:
            with lock:
                running.discard(student)

    monkeypatch.setattr(_Workers, "autograde", overlapping)
    seen = []
    summary = autograde(
        assignment=ASSIGNMENT, jobs=4, course_dir=course, progress=lambda d, t, r: seen.append((d, t, r))
    )
    assert most > 1, "the workers never overlapped"
    assert [s.student for s in summary.students] == students
    assert {s.outcome for s in summary.students} == {Outcome.GRADED} and summary.exit_code == 0
    assert [(d, t) for d, t, _ in seen] == [(i, 12) for i in range(13)]
    with gradebook(course / "gradebook.db") as gb:
        for student in students:
            submission = gb.find_submission(ASSIGNMENT, student)
            got = {g.name: g.auto_score for g in submission.notebooks[0].grades}
            assert got == dict(zip(["answer_tests", "lab-part"], scores(student))), student
            assert submission.timestamp == datetime.datetime(2026, 12, 1, 10, 0)
    assert [s.score for s in summary.students] == [sum(scores(s)) for s in students]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_merge_keeps_what_an_instructor_graded_by_hand(course, monkeypatch):
    submit(course, "alice")
    with gradebook(course / "gradebook.db") as gb:
        gb.add_student("alice", first_name="Alice")
        grade = gb.add_submission(ASSIGNMENT, "alice").notebooks[0].grades[0]
        grade.manual_score, grade.extra_credit = 1.5, 0.5
        gb.db.commit()
    monkeypatch.setattr(_Workers, "autograde", fake_nbgrader)
    (result,) = autograde(assignment=ASSIGNMENT, course_dir=course).students
    with gradebook(course / "gradebook.db") as gb:
        submission = gb.find_submission(ASSIGNMENT, "alice")
        grades = {
            g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
            for g in submission.notebooks[0].grades
        }
        assert gb.find_student("alice").first_name == "Alice"
    answer, lab = scores("alice")
    assert grades == {"answer_tests": (answer, 1.5, 0.5, True), "lab-part": (lab, None, None, False)}
    assert result.score == 1.5 + 0.5 + lab  # nbgrader's total: the manual score wins over the automatic one


def test_a_failure_is_reported_with_nbgraders_reason_and_the_rest_is_graded(course, monkeypatch):
    submit(course, "alice", "bob")

    def bob_breaks(self, course_, assignment, student, copy, extra):
        if student == "bob":
            log = "[AutogradeApp | ERROR] There was an error processing assignment\nTraceback...\n"
            return 1, log + "grader._errors.GraderError: lab 00-hello could not be graded: Docker is down\n"
        return fake_nbgrader(self, course_, assignment, student, copy, extra)

    monkeypatch.setattr(_Workers, "autograde", bob_breaks)
    summary = autograde(assignment=ASSIGNMENT, course_dir=course)
    alice, bob = summary.students
    assert (alice.outcome, bob.outcome, summary.exit_code) == (Outcome.GRADED, Outcome.ERROR, 2)
    assert bob.message == "GraderError: lab 00-hello could not be graded: Docker is down"
    assert bob.score is None


def test_an_interrupt_keeps_the_finished_students_and_leaves_nothing_behind(course, tmp_path, monkeypatch):
    submit(course, *(f"s{i}" for i in range(6)))
    monkeypatch.setattr(_Workers, "autograde", fake_nbgrader)

    def interrupt(done, total, latest):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(AutogradeInterrupted) as stopped:
        autograde(assignment=ASSIGNMENT, jobs=2, course_dir=course, progress=interrupt)
    merged = [s.student for s in stopped.value.summary.students]
    assert len(merged) == 2
    with gradebook(course / "gradebook.db") as gb:
        assert sorted(s.student.id for s in gb.find_assignment(ASSIGNMENT).submissions) == merged
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("slots", [1, 2])
def test_lab_gradings_take_turns_in_as_many_slots_as_the_cores_allow(tmp_path, monkeypatch, slots):
    for slot in range(slots):
        (tmp_path / f"slot-{slot}").touch()
    monkeypatch.setenv(SLOTS_ENV, str(tmp_path))
    lock, inside, most = threading.Lock(), 0, 0

    def grade_lab() -> None:
        nonlocal inside, most
        with lab_slot(poll_s=0.01):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=grade_lab) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 1 <= most <= slots and inside == 0


def test_without_grader_autograde_a_lab_is_graded_at_once(monkeypatch):
    monkeypatch.delenv(SLOTS_ENV, raising=False)
    with lab_slot():
        pass


def test_a_lab_of_two_cpus_on_two_cores_is_graded_one_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr("grader._batch.run._host_cores", lambda backend: 2.0)
    folder = _lab_slots(tmp_path, "00-welcome", "docker")  # Lab 00: cpus = 2.0
    assert folder is not None and [p.name for p in folder.iterdir()] == ["slot-0"]
    assert _lab_slots(tmp_path, "01-data-layer", "docker") is None  # a lesson without a lab
