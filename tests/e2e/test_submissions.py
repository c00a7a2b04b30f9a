"""Every lab in the grading container: the solution gets full marks, the untouched scaffold 0
quickly, and every kept submission (tests/submissions/<lab>/<name>/expected.toml) scores
exactly what its expected.toml says, part by part.

Everything this file grades is graded in one pool, ``E2E_JOBS`` containers at a time (default:
the machine's cores, at least 2): the first test to ask submits every grading the selected tests
need, in the order they run, and each test waits for its own. Labs thus overlap (no lab waits
for the last, slowest submission of the one before), and ``-k`` grades only what it selects.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from containers import containers_of
from expectations import failing_messages, part_scores
from kept import kept_submissions
from rich.console import Console

from grader import Results, grade, load_manifest, print_report, write_junit
from grader._manifest import lab_ids
from grader._nbgrader import part_outputs
from grader._paths import REPO_ROOT, SOLUTIONS_DIR

pytestmark = [pytest.mark.docker, pytest.mark.slow]

JOBS = int(os.environ.get("E2E_JOBS", "0")) or max(2, os.cpu_count() or 2)
SCAFFOLD_BUDGET_S = 240  # a ceiling for a loaded CI machine; make bench prints the real times (3-11 s quiet)
KEPT = kept_submissions()
KEPT_BY_ID = {kept.id: kept for kept in KEPT}


@dataclasses.dataclass(frozen=True)
class Graded:
    results: Results
    seconds: float  # this grading's own wall time, from its start in the pool to its results


class Pool:
    """The gradings of this file, keyed ``("solution" | "scaffold" | "kept", id)``, in one pool."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self._tmp = tmp_path_factory
        self._executor = ThreadPoolExecutor(max_workers=JOBS, thread_name_prefix="e2e-grade")
        self._futures: dict[tuple[str, str], Future[Graded]] = {}

    def submit(self, key: tuple[str, str]) -> None:
        if key not in self._futures:
            self._futures[key] = self._executor.submit(self._grade, key)

    def _grade(self, key: tuple[str, str]) -> Graded:
        kind, name = key
        started = time.monotonic()
        if kind == "solution":
            results = grade(lab=name, submission=SOLUTIONS_DIR / name, backend="docker")
        elif kind == "scaffold":
            results = grade(lab=name, backend="docker")
        else:
            kept = KEPT_BY_ID[name]
            submission = kept.build(self._tmp.mktemp(kept.name) / "submission")
            results = grade(lab=kept.lab, submission=submission, backend="docker", parts=list(kept.scores))
        return Graded(results, time.monotonic() - started)

    def get(self, kind: str, name: str) -> Graded:
        self.submit((kind, name))
        return self._futures[(kind, name)].result()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _key(item: pytest.Item) -> tuple[str, str] | None:
    """What ``item`` (a test of this file) needs graded."""
    params = getattr(item, "callspec", None)
    if not isinstance(item, pytest.Function) or params is None:
        return None
    if "kept" in params.params:
        return ("kept", params.params["kept"].id)
    kind = "solution" if item.originalname == "test_the_solution_gets_full_marks" else "scaffold"
    return (kind, params.params["lab"])


@pytest.fixture(scope="module")
def pool(docker_image, tmp_path_factory, request) -> Iterator[Pool]:
    """Every grading the selected tests of this file need, submitted at once in their run order;
    at the end no grading container of this process is left behind."""
    graded = Pool(tmp_path_factory)
    for item in request.session.items:
        key = _key(item) if item.module is request.module else None
        if key is not None:
            graded.submit(key)
    yield graded
    graded.close()
    leftovers = containers_of(os.getpid())
    for container in leftovers:
        container.remove(force=True)
    assert not leftovers, f"grading containers left behind: {[c.name for c in leftovers]}"


@pytest.fixture(autouse=True)
def no_container_left_behind(pool):
    """Overrides the e2e check after each test: the pool's containers run across tests, so the
    check runs once, when the pool is done (see ``pool``)."""
    yield


@pytest.mark.parametrize("lab", lab_ids())
def test_the_solution_gets_full_marks(pool, lab):
    manifest = load_manifest(lab)
    results = pool.get("solution", lab).results
    full = {part.id: part.points for part in manifest.parts}
    assert (results.status, part_scores(results)) == ("passed", full), failing_messages(results)


@pytest.mark.parametrize("lab", lab_ids())
def test_the_untouched_scaffold_scores_zero_quickly(pool, lab):
    manifest = load_manifest(lab)
    graded = pool.get("scaffold", lab)
    results = graded.results
    zero = {part.id: 0 for part in manifest.parts}
    assert (results.status, part_scores(results)) == ("failed", zero), failing_messages(results)
    assert all(t.status == "failed" for t in results.tests), "the scaffold fails on asserts, not timeouts or errors"
    assert graded.seconds < SCAFFOLD_BUDGET_S, f"the scaffold took {graded.seconds:.0f} s to grade"


@pytest.mark.parametrize("kept", KEPT, ids=lambda kept: kept.id)
def test_each_kept_submission_scores_what_it_expects(pool, kept):
    results = pool.get("kept", kept.id).results
    status = "passed" if kept.kind == "alternative" else "failed"
    assert (results.status, part_scores(results)) == (status, kept.scores), (kept.bug, failing_messages(results))


def learner_visible(results: Results, tmp_path: Path) -> str:
    """Everything a learner can be shown of these results: the JSON, the terminal report, JUnit
    and the nbgrader feedback of every part."""
    report = Console(file=io.StringIO(), width=200)
    report.begin_capture()
    print_report(results, console=report)
    write_junit(results, tmp_path / "junit.xml")
    feedback = [o["data"]["text/html"] for p in results.parts for o in part_outputs(results, p.id)[:1]]
    return "\n".join([results.to_json(), report.end_capture(), (tmp_path / "junit.xml").read_text(), *feedback])


def code_lines(folder: Path) -> set[str]:
    """Lines of code under a folder that a traceback or a pytest summary would quote."""
    lines = set()
    for path in folder.rglob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) >= 25 and not line.startswith(("#", '"', "'", 'f"', "f'")) and any(c in line for c in "(=:"):
                lines.add(line)
    return lines


@pytest.mark.parametrize("kept", KEPT, ids=lambda kept: kept.id)
def test_no_hidden_test_line_and_no_host_path_reaches_a_learner(pool, kept, tmp_path):
    shown = learner_visible(pool.get("kept", kept.id).results, tmp_path)
    # A hidden suite may hold a reference copy of the model answer: the learner's own lines are theirs to see.
    hidden = code_lines(load_manifest(kept.lab).suite_dir) - code_lines(kept.build(tmp_path / "own"))
    leaked = [line for line in hidden if line in shown]
    assert not leaked, f"hidden suite lines in what learners see: {leaked[:3]}"
    for host_path in (str(REPO_ROOT), tempfile.gettempdir() + "/grader-", str(Path.home())):
        assert host_path not in shown, f"a host path ({host_path}) in what learners see"
