"""``grader autograde``: nbgrader's own autograde for a class, N students at a time, one gradebook writer.

nbgrader autogrades one student after another, and its gradebook is one SQLite file. Several
``nbgrader autograde`` processes on it at once would each open many short connections and
commit step by step: a second writer waits at best, gets "database is locked" at worst (SQLite
allows one writer and gives up after its busy timeout), and nothing orders their steps.

Here every student is autograded by nbgrader itself - ``nbgrader autograde ASSIGNMENT --student
S`` with the course's config, so notebooks and labs run in containers as with plain nbgrader -
each in its own process and against its **own copy** of the gradebook, taken when the run starts.
This process alone writes the course's gradebook, one student at a time as each finishes,
through nbgrader's ``Gradebook`` API, copying exactly what nbgrader's autograde writes:

- the student and the submission (created when missing, with every grade and comment row that
  ``add_submission`` makes), and the submission's timestamp;
- each grade's ``auto_score`` and ``needs_manual_grade``, each comment's ``auto_comment``;
- each notebook's ``late_submission_penalty``.

Manual scores, manual comments and extra credit are left as they are, as nbgrader's autograde
leaves them. A student nbgrader could not grade is merged all the same (nbgrader has made the
submission and recorded no grade: what a sequential run leaves) and reported with nbgrader's
reason; a student nbgrader skipped (autograded before and not submitted again; ``force`` grades
again) is reported as unchanged. The copies live in a temporary folder that is always removed.

Notebooks run N at a time; the labs' hidden suites, whose timing checks need the CPU their
manifest gives them, take turns as in ``grader batch``: no more lab gradings side by side than
the host's cores can give their CPU quota (slots that LabGrades takes, :func:`lab_slot`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import enum
import fcntl
import glob
import multiprocessing
import multiprocessing.process
import os
import re
import runpy
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from ._errors import GraderError
from ._paths import COURSE_DIR

NotebookBackend = Literal["docker", "local"]
SLOTS_ENV = "GRADER_AUTOGRADE_LAB_SLOTS"  # a folder of lock files, one per lab grading allowed at a time
SKIPPED = "Skipping existing assignment"  # nbgrader's log line for a submission it does not grade again
_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$")


class Outcome(enum.Enum):
    GRADED = "graded"
    UNCHANGED = "unchanged"  # autograded before and not submitted since: nbgrader skipped it
    ERROR = "error"  # nbgrader could not grade it (the reason is the message)


@dataclasses.dataclass(frozen=True)
class StudentAutograde:
    student: str
    outcome: Outcome
    score: float | None  # the submission's total in the gradebook; None: no submission there
    max_score: float
    message: str = ""


@dataclasses.dataclass(frozen=True)
class AutogradeSummary:
    assignment: str
    gradebook: Path
    students: tuple[StudentAutograde, ...]  # sorted by student id

    def count(self, outcome: Outcome) -> int:
        return sum(s.outcome is outcome for s in self.students)

    @property
    def exit_code(self) -> int:
        """0 every student autograded (or unchanged), 2 nbgrader could not grade some."""
        return 2 if self.count(Outcome.ERROR) else 0


class AutogradeInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run; ``summary`` holds the students merged before it."""

    def __init__(self, summary: AutogradeSummary):
        super().__init__("autograde interrupted")
        self.summary = summary


Progress = Callable[[int, int, "StudentAutograde | None"], object]  # (done, total, latest); (0, total, None) first


@dataclasses.dataclass(frozen=True)
class _Course:
    root: Path
    course_id: str
    gradebook: Path
    submitted: Path
    lab_backend: str  # LabGrades.backend in the course's config


def autograde(
    *,
    assignment: str,
    jobs: int = 2,
    students: Sequence[str] | None = None,
    course_dir: Path = COURSE_DIR,
    force: bool = False,
    backend: NotebookBackend | None = None,
    progress: Progress | None = None,
) -> AutogradeSummary:
    """Autograde every submission of ``assignment`` (or only ``students``) with nbgrader, ``jobs`` at a time.

    ``backend`` overrides the course's ``SandboxedExecute.backend`` and ``LabGrades.backend``
    (None: as configured). Raises GraderError, before anything is written, for bad input: not an
    nbgrader course, no gradebook, an unknown assignment, no submissions.
    """
    if jobs < 1:
        raise GraderError(f"--jobs is how many students are autograded at a time: at least 1, not {jobs}")
    if backend not in (None, "docker", "local"):
        raise GraderError(f"unknown backend {backend!r}: docker or local")
    course = _course(course_dir)
    known = _assignments(course.gradebook)
    if assignment not in known:
        raise GraderError(
            f"unknown assignment {assignment!r}: the gradebook has {', '.join(known) or 'none'} "
            "(nbgrader generate_assignment adds one)"
        )
    todo = _submissions(course, assignment, students)
    extra = [f"--SandboxedExecute.backend={backend}", f"--LabGrades.backend={backend}"] if backend else []
    extra += ["--force"] if force else []
    total, done = len(todo), []
    if progress:
        progress(0, total, None)
    with tempfile.TemporaryDirectory(prefix="grader-autograde-") as tmp:
        template = Path(tmp) / "gradebook.db"
        _snapshot(course.gradebook, template)
        workers = _Workers(slots=_lab_slots(Path(tmp), assignment, backend or course.lab_backend))

        def run(index: int, student: str) -> tuple[str, Path, int | None, str]:
            copy = Path(tmp) / f"{index}.db"
            shutil.copyfile(template, copy)
            return (student, copy, *workers.autograde(course, assignment, student, copy, extra))

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="autograde")
        finished = interrupted = False
        try:
            futures = [pool.submit(run, i, s) for i, s in enumerate(todo)]
            for future in concurrent.futures.as_completed(futures):
                student, copy, status, log = future.result()
                if status is None:  # not started: stopping
                    continue
                result = _merge(course, assignment, student, copy, status, log)
                copy.unlink()
                done.append(result)
                if progress:
                    progress(len(done), total, result)
            finished = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if not finished:  # Ctrl-C, SIGTERM or a failed merge: no new nbgrader, the running ones stopped
                pool.shutdown(wait=False, cancel_futures=True)
                workers.stop()
            pool.shutdown(wait=True)
    if interrupted:
        raise AutogradeInterrupted(_summary(course, assignment, done))
    return _summary(course, assignment, done)


def _summary(course: _Course, assignment: str, done: list[StudentAutograde]) -> AutogradeSummary:
    return AutogradeSummary(
        assignment=assignment, gradebook=course.gradebook, students=tuple(sorted(done, key=lambda s: s.student))
    )


def _course(course_dir: Path) -> _Course:
    """The course's directories and id, from its ``nbgrader_config.py`` (as nbgrader reads them)."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(course_dir).resolve()
    config_file = root / "nbgrader_config.py"
    if not config_file.is_file():
        raise GraderError(
            f"{root} is not an nbgrader course (no nbgrader_config.py): run from course/ or pass --course-dir"
        )
    config = PyFileConfigLoader(config_file.name, path=str(root)).load_config()
    coursedir = CourseDirectory(config=config, root=str(root))
    url = str(coursedir.db_url)
    if not url.startswith("sqlite:///"):
        raise GraderError(f"grader autograde merges into a SQLite gradebook; this course's db_url is {url}")
    gradebook = Path(url.removeprefix("sqlite:///"))
    gradebook = gradebook if gradebook.is_absolute() else root / gradebook
    if not gradebook.is_file():
        raise GraderError(f"no gradebook at {gradebook}: release the assignment first (nbgrader generate_assignment)")
    return _Course(
        root=root,
        course_id=str(coursedir.course_id),
        gradebook=gradebook,
        submitted=root / str(coursedir.submitted_directory),
        lab_backend=str(config.LabGrades.get("backend", "docker")),
    )


def _assignments(gradebook: Path) -> list[str]:
    """The gradebook's assignments, read without writing a byte (nbgrader's Gradebook would add a course row)."""
    try:
        with sqlite3.connect(f"file:{gradebook}?mode=ro", uri=True) as db:
            return sorted(name for (name,) in db.execute("SELECT name FROM assignment"))
    except sqlite3.Error as exc:
        raise GraderError(f"{gradebook} is not an nbgrader gradebook: {exc}") from None


def _submissions(course: _Course, assignment: str, students: Sequence[str] | None) -> list[str]:
    """The students whose ``submitted/<student>/<assignment>/`` exists (all, or those asked for)."""
    submitted = course.submitted
    found = sorted(p.parent.name for p in submitted.glob(f"*/{glob.escape(assignment)}") if p.is_dir())
    if students is None:
        if not found:
            raise GraderError(f"no submissions of {assignment} in {submitted}/ (one folder per student)")
        return found
    missing = [s for s in students if s not in found]
    if missing:
        raise GraderError(f"no submission of {assignment} by {', '.join(missing)} in {submitted}/")
    return sorted(set(students))


def _snapshot(gradebook: Path, target: Path) -> None:
    """A consistent copy of the gradebook (SQLite's online backup), the template of every worker's copy."""
    with sqlite3.connect(f"file:{gradebook}?mode=ro", uri=True) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()
    source.close()


class _Workers:
    """The running ``nbgrader autograde`` processes, so that a stop reaches every one, once.

    Each is ``python -m nbgrader autograde ...`` as a shell would run it, but forked from a server
    process that imported nbgrader once (multiprocessing's forkserver): importing nbgrader and
    Jupyter takes about 2 s of CPU, which a class of 300 would otherwise pay 300 times. ``module``
    is what runs as ``python -m`` (a stand-in in tests)."""

    def __init__(self, slots: Path | None = None, module: str = "nbgrader") -> None:
        self._slots, self._module = slots, module
        self._lock = threading.Lock()
        # Each running nbgrader, and an event its thread sets once it has joined it: only that thread
        # joins it (two joins of a forkserver child at once: one reads its status, the other 255).
        self._running: dict[str, tuple[multiprocessing.process.BaseProcess, threading.Event]] = {}
        self._stopping = False
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "grader._nbgrader"])

    def autograde(
        self, course: _Course, assignment: str, student: str, gradebook: Path, extra: list[str]
    ) -> tuple[int | None, str]:
        """``nbgrader autograde`` for one student against ``gradebook``: (exit status, its log);
        (None, "") when stopping before it started. The log is a file beside ``gradebook``."""
        if student != student.strip():
            return 1, "[AutogradeApp | ERROR] nbgrader strips spaces around a student id: rename the folder"
        bin_dir = str(Path(sys.executable).parent)  # nbgrader calls alembic by name
        argv = [
            "autograde",
            assignment,
            f"--CourseDirectory.student_id={glob.escape(student)}",
            f"--CourseDirectory.db_url=sqlite:///{gradebook}",
            *extra,
        ]
        env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            **({SLOTS_ENV: str(self._slots)} if self._slots else {}),
        }
        log = gradebook.with_suffix(".log")
        with self._lock:
            if self._stopping:
                return None, ""
            process = self._context.Process(
                target=_run_module, args=(self._module, argv, str(course.root), env, str(log)), daemon=False
            )
            process.start()
            joined = threading.Event()
            self._running[student] = (process, joined)
        try:
            process.join()
        finally:
            joined.set()
            with self._lock:
                self._running.pop(student, None)
        text = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
        log.unlink(missing_ok=True)
        return process.exitcode, text

    def stop(self, grace_s: float = 60) -> None:
        """Start no more; interrupt every running nbgrader (SIGINT: nbgrader and the grader clean
        up after themselves), then wait for them (killed after ``grace_s``)."""
        with self._lock:
            self._stopping = True
            processes = list(self._running.values())
        for process, joined in processes:
            if process.pid is not None and not joined.is_set():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGINT)
        for process, joined in processes:
            if not joined.wait(grace_s) and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                joined.wait()


def _run_module(module: str, argv: list[str], cwd: str, env: dict[str, str], log: str) -> None:
    """In the forked child: ``python -m MODULE ARGV...`` in ``cwd`` with ``env``, its output in ``log``."""
    os.setsid()  # a Ctrl-C reaches it once, from stop(), so it removes its containers
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python's own start-up sets it
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, cwd)  # as ``python -m`` puts the working directory first
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _lab_slots(tmp: Path, assignment: str, backend: str) -> Path | None:
    """A folder of lock files, one per lab grading the host can run side by side (None: no lab)."""
    from ._batch.run import _host_cores
    from ._course import lab_for_lesson

    manifest = lab_for_lesson(assignment)
    if manifest is None:
        return None
    folder = tmp / "lab-slots"
    folder.mkdir()
    for slot in range(max(1, int(_host_cores(backend) // max(manifest.limits.cpus, 0.01)))):
        (folder / f"slot-{slot}").touch()
    return folder


@contextlib.contextmanager
def lab_slot(poll_s: float = 0.1) -> Iterator[None]:
    """Hold one of ``grader autograde``'s lab slots while grading a lab (LabGrades); without
    ``grader autograde`` (no slots in the environment), at once. A process that dies frees its slot."""
    folder = os.environ.get(SLOTS_ENV)
    if not folder:
        yield
        return
    slots = sorted(Path(folder).glob("slot-*"))
    while True:
        for slot in slots:
            with open(slot, "rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                yield  # the lock goes with the file's closing
                return
        time.sleep(poll_s)


def _reason(log: str, status: int) -> str:
    """nbgrader's reason for a failure, in one line: the exception it logged, else its first error."""
    lines = [line.strip() for line in log.splitlines()]
    for line in reversed(lines):
        if match := _ERROR_LINE.match(line):
            return f"{match.group(1)}: {match.group(2)}"
    errors = [line.split("ERROR]", 1)[-1].strip() for line in lines if "ERROR" in line]
    return errors[0] if errors else f"nbgrader autograde exited with status {status}"


def _merge(course: _Course, assignment: str, student: str, copy: Path, status: int, log: str) -> StudentAutograde:
    """Write what nbgrader's autograde wrote into ``copy`` for ``student`` into the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    outcome = Outcome.ERROR if status else Outcome.UNCHANGED if SKIPPED in log else Outcome.GRADED
    message = _reason(log, status) if status else ""
    with Gradebook(f"sqlite:///{copy}", course.course_id) as source:
        try:
            submission = source.find_submission(assignment, student)
        except MissingEntry:
            return StudentAutograde(student, Outcome.ERROR if status else outcome, None, 0.0, message)
        timestamp = submission.timestamp
        notebooks = {nb.name: _autograded(nb) for nb in submission.notebooks}
    # One writer: this process, one student at a time; wait for a formgrader's transaction rather than fail.
    with (
        warnings.catch_warnings(category=SAWarning, action="ignore"),  # add_submission's, as in nbgrader's own log
        Gradebook(f"sqlite:///{course.gradebook}?timeout=60", course.course_id) as gradebook,
    ):
        gradebook.update_or_create_student(student)
        target = gradebook.update_or_create_submission(assignment, student)
        target.timestamp = timestamp
        for notebook in target.notebooks:
            penalty, grades, comments = notebooks[notebook.name]
            notebook.late_submission_penalty = penalty
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = grades[grade.name]
            for comment in notebook.comments:
                comment.auto_comment = comments[comment.name]
        gradebook.db.commit()
        return StudentAutograde(student, outcome, float(target.score), float(target.max_score), message)


def _autograded(notebook: Any) -> tuple[Any, dict[str, tuple[Any, Any]], dict[str, Any]]:
    """What autograde writes for a submitted notebook: its late penalty, each grade's automatic
    score and review flag, each comment's automatic comment."""
    return (
        notebook.late_submission_penalty,
        {g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades},
        {c.name: c.auto_comment for c in notebook.comments},
    )
