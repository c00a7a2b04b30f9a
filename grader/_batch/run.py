"""``batch()``: plan who needs grading, grade them from a thread pool, write the gradebook; Ctrl-C."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .._backends import resolve_backend
from .._errors import GraderError
from .._manifest import Manifest, load_manifest
from .._results import BackendName, Results
from .cache import cache_key, grading_context
from .gradebook import StudentResult, write_gradebook
from .stop import stop_running
from .store import Store
from .students import student_entries, submission_of

INTERRUPTED = "not graded: the batch was interrupted"


class GradeFunction(Protocol):
    def __call__(self, *, lab: str, submission: Path, backend: str, suites_dir: Path | None) -> Results: ...


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    lab: str
    out: Path
    gradebook: Path
    backend: str
    students: tuple[StudentResult, ...]  # sorted by student id
    interrupted: bool = False

    @property
    def graded(self) -> int:
        """Graded in this run."""
        return sum(s.status.graded and not s.cached for s in self.students)

    @property
    def cached(self) -> int:
        """Graded in an earlier run, unchanged since."""
        return sum(s.cached for s in self.students)

    @property
    def errors(self) -> int:
        """Could not be graded (an error row)."""
        return sum(not s.status.graded for s in self.students)

    @property
    def exit_code(self) -> int:
        """0 every student graded (whatever the scores), 2 some could not be, 130 interrupted."""
        return 130 if self.interrupted else 2 if self.errors else 0


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch; ``summary`` holds what finished (its gradebook is written)."""

    def __init__(self, summary: BatchSummary):
        super().__init__("batch interrupted")
        self.summary = summary


Progress = Callable[[int, int, "StudentResult | None"], object]  # (done, total, latest); (0, total, None) first


def default_out(lab: str, submissions: str | Path) -> Path:
    """``grades-<lab>`` beside the submissions directory."""
    return Path(submissions).resolve().parent / f"grades-{lab}"


@dataclasses.dataclass(frozen=True)
class _Todo:
    student: str
    submission: Path


def batch(
    *,
    lab: str,
    submissions: str | Path,
    out: str | Path | None = None,
    jobs: int = 2,
    backend: str = "auto",
    subdir: str | None = None,
    progress: Progress | None = None,
    suites_dir: Path | None = None,
    grade: GradeFunction | None = None,
    log: Callable[[str], object] = lambda line: None,
    broker: str | None = None,
    visibility_timeout_s: float | None = None,
    on_worker: Callable[[dict[str, int]], object] | None = None,
) -> BatchSummary:
    """Grade every student's submission in ``submissions`` with up to ``jobs`` at a time.

    Raises ``GraderError`` (one line) when the batch as a whole cannot run: an unknown lab or
    backend, no submissions directory, no student in it, Docker asked for but unavailable.
    ``grade`` replaces ``grader.grade`` (tests); then ``backend`` is passed to it unresolved.
    ``log`` receives the lines of a grading-image build, if one is needed first.

    With ``broker`` (a Redis URL) the students are graded by ``grader worker`` processes on other
    hosts (``grader._distributed``); ``jobs`` is then theirs to choose, ``backend`` (auto: docker)
    is what they must grade with, and ``on_worker`` receives how many rows each worker answered.
    """
    manifest = load_manifest(lab, suites_dir)
    root = Path(submissions)
    if not root.is_dir():
        raise GraderError(f"submissions directory not found: {root}")
    if jobs < 1:
        raise GraderError(f"--jobs must be at least 1, not {jobs}")
    if subdir is not None and (not subdir or Path(subdir).is_absolute() or ".." in Path(subdir).parts):
        raise GraderError(f"--subdir must be a relative path inside each student's folder, not {subdir!r}")
    root = root.resolve()
    out = Path(out).resolve() if out is not None else default_out(lab, root)
    entries = student_entries(root, exclude=out)
    if not entries:
        raise GraderError(f"no student folders in {root}")
    if broker is not None:
        from .._distributed.broker import check_url

        check_url(broker)
        backend = _remote_backend(backend)
    elif grade is None:
        from .._api import grade as grade_with_grader

        grade, backend = grade_with_grader, resolve_backend(backend, log=log)
        jobs = _fair_jobs(jobs, manifest, backend, log)
    for name in ("results", "cache", "logs"):
        (out / name).mkdir(parents=True, exist_ok=True)
    store = Store(
        manifest=manifest,
        backend=backend,
        results_dir=out / "results",
        cache_dir=out / "cache",
        logs_dir=out / "logs",
    )
    context = grading_context(manifest)

    done, todo = _plan(store, root, entries, subdir)
    if progress:
        progress(0, len(entries), None)
        for count, row in enumerate(done.values(), start=1):
            progress(count, len(entries), row)

    def summary(interrupted: bool = False) -> BatchSummary:
        rows = {t.student: StudentResult.not_graded(t.student, manifest, INTERRUPTED) for t in todo} | done
        students = tuple(rows[s] for s in sorted(rows))
        write_gradebook(out / "gradebook.csv", manifest, students)
        return BatchSummary(
            lab=lab,
            out=out,
            gradebook=out / "gradebook.csv",
            backend=backend,
            students=students,
            interrupted=interrupted,
        )

    if broker is not None:
        if _grade_remotely(
            broker, store, context, todo, done, len(entries), visibility_timeout_s, progress, on_worker, log
        ):
            raise BatchInterrupted(summary(interrupted=True))
        return summary()

    assert grade is not None
    stop = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader-batch")
    futures = {
        pool.submit(_grade_one, grade, store, context, todo_item, stop, suites_dir): todo_item for todo_item in todo
    }
    try:
        for future in concurrent.futures.as_completed(futures):
            result = future.result()  # _grade_one never raises, and returns None only once stopped
            if result is not None:
                done[result.student] = result
            if progress:
                progress(len(done), len(entries), result)
    except KeyboardInterrupt:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        stop_running(futures, backend)
        for future in futures:  # those that finished before Ctrl-C
            if future.done() and not future.cancelled() and (finished := future.result()) is not None:
                done.setdefault(finished.student, finished)
        raise BatchInterrupted(summary(interrupted=True)) from None
    pool.shutdown()
    return summary()


def _remote_backend(backend: str) -> str:
    """What the workers must grade with: ``auto`` is Docker (this host may have none)."""
    from .._backends import BackendChoice

    try:
        choice = BackendChoice(backend)
    except ValueError:
        raise GraderError(f"unknown backend {backend!r} (choose from {', '.join(BackendChoice)})") from None
    return str(BackendName.LOCAL if choice is BackendChoice.LOCAL else BackendName.DOCKER)


def _grade_remotely(
    broker: str,
    store: Store,
    context: dict[str, object],
    todo: list[_Todo],
    done: dict[str, StudentResult],
    total: int,
    visibility_timeout_s: float | None,
    progress: Progress | None,
    on_worker: Callable[[dict[str, int]], object] | None,
    log: Callable[[str], object],
) -> bool:
    """Grade ``todo`` on the broker's workers into ``done``; True when Ctrl-C stopped it."""
    from .._distributed.broker import DEFAULT_VISIBILITY_TIMEOUT_S
    from .._distributed.coordinator import Student, grade_remotely

    counts: dict[str, int] = {}

    def on_result(row: StudentResult, worker: str | None) -> None:
        done[row.student] = row
        if worker is not None:
            counts[worker] = counts.get(worker, 0) + 1
            if on_worker:
                on_worker(dict(counts))
        if progress:
            progress(len(done), total, row)

    try:
        grade_remotely(
            url=broker,
            store=store,
            context=context,
            students=[Student(t.student, t.submission) for t in todo],
            backend=store.backend,
            visibility_timeout_s=visibility_timeout_s or DEFAULT_VISIBILITY_TIMEOUT_S,
            on_result=on_result,
            log=log,
        )
    except KeyboardInterrupt:
        return True
    return False


def _plan(
    store: Store, root: Path, entries: list[tuple[str, Path]], subdir: str | None
) -> tuple[dict[str, StudentResult], list[_Todo]]:
    """Who has no submission at all (an error row) and who is to grade. Nothing is read here: the
    cache key (a hash of the submission, checked with lstat first) is computed in the worker pool."""
    done: dict[str, StudentResult] = {}
    todo: list[_Todo] = []
    for student, entry in entries:
        try:
            todo.append(_Todo(student, submission_of(root, entry, subdir)))
        except GraderError as exc:
            error = Results.error(lab=store.manifest.id, message=str(exc), max_score=store.manifest.max_score)
            done[student] = store.save(student, error, key=None)
    return done, todo


def _fair_jobs(jobs: int, manifest: Manifest, backend: str, log: Callable[[str], object]) -> int:
    """At most as many gradings side by side as the host's cores can give their CPU quota: a
    correct submission must not miss a timing bound because its neighbours took its CPU."""
    cores = _host_cores(backend)
    fair = max(1, int(cores // max(manifest.limits.cpus, 0.01)))
    if jobs > fair:
        log(f"{jobs} jobs would share {cores:g} cores at {manifest.limits.cpus:g} CPU each: grading {fair} at a time")
        return fair
    return jobs


def _host_cores(backend: str) -> float:
    if backend == BackendName.DOCKER:
        from .._backends.docker import docker_client

        return float(docker_client().info().get("NCPU") or os.cpu_count() or 1)
    return float(os.cpu_count() or 1)


def _grade_one(
    grade: GradeFunction,
    store: Store,
    context: dict[str, object],
    todo: _Todo,
    stop: threading.Event,
    suites_dir: Path | None,
) -> StudentResult | None:
    """Hash, look up and (if needed) grade one student in a worker thread; never raises.
    None: stopped by Ctrl-C."""
    if stop.is_set():
        return None
    manifest: Manifest = store.manifest
    started = time.monotonic()
    try:
        key = cache_key(context, todo.submission)
        cached = store.cached(todo.student, key)
    except GraderError as exc:
        error = Results.error(lab=manifest.id, message=str(exc), max_score=manifest.max_score)
        return store.save(todo.student, error, key=None)
    except Exception as exc:
        return StudentResult.not_graded(todo.student, manifest, f"could not read the submission: {exc}")
    if cached:
        return cached
    try:
        results = grade(lab=manifest.id, submission=todo.submission, backend=store.backend, suites_dir=suites_dir)
        if not isinstance(results, Results):
            raise TypeError(f"grade() returned {type(results).__name__}, not Results")
    except Exception as exc:
        results = Results.error(
            lab=manifest.id,
            max_score=manifest.max_score,
            duration_s=time.monotonic() - started,
            message=f"the grader failed on this submission: {type(exc).__name__}: {exc}",
        )
    if stop.is_set():  # finished because the batch removed its container: not a grade
        return None
    try:
        return store.save(todo.student, results, key=key)
    except Exception as exc:
        return StudentResult.not_graded(
            todo.student, manifest, f"could not store the results: {type(exc).__name__}: {exc}"
        )
