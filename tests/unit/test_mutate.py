"""`grader mutate` without grading anything: cosmic-ray's real mutants, a fake grade function
that runs the demo lab's two checks in-process (tests/suites/mutation-demo)."""

import shutil
import threading
from pathlib import Path

import pytest

from grader import GraderError, Results, load_manifest
from grader._mutate import Outcome, classify, editable_files, enumerate_mutants, mutate, probe_code, render
from grader._paths import LABS_DIR, MUTATION_EQUIVALENT, SOLUTIONS_DIR
from grader._results import PartResult, TestResult

pytest.importorskip("cosmic_ray", reason="the dev extra: pip install -e '.[dev]'")

SUITES = Path(__file__).parents[1] / "suites"
DEMO = Path(__file__).parents[1] / "submissions" / "mutation-demo"
LAB = "mutation-demo"
CHECKS = {"open": ("is_open", lambda v: v is True), "verbose": ("is_verbose", lambda v: isinstance(v, bool))}


class FakeGrade:
    """Part ``open`` passes when is_open() is True, ``verbose`` when is_verbose() is a bool."""

    def __init__(self, broken: bool = False):
        self.broken = broken  # the "solution" loses every point
        self.calls: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def __call__(self, *, lab, submission, backend, suites_dir, parts):
        with self._lock:
            self.calls.append(tuple(parts))
        manifest = load_manifest(lab, suites_dir).select(parts)
        flags: dict = {}
        exec((submission / "app" / "flags.py").read_text(), flags)
        scores = {}
        for part in manifest.parts:
            function, ok = CHECKS[part.id]
            try:
                scores[part.id] = part.points if ok(flags[function]()) and not self.broken else 0
            except RuntimeError:
                scores[part.id] = 0
        total = sum(scores.values())
        return Results(
            lab=lab,
            score=total,
            max_score=manifest.max_score,
            status="passed" if total == manifest.max_score else "failed",
            backend=backend,
            duration_s=0.1,
            parts=tuple(PartResult(p.id, p.title, scores[p.id], p.points) for p in manifest.parts),
            partial=True,
        )


def run(tmp_path, grade, suites=SUITES, **options):
    return mutate(
        lab=LAB,
        suites_dir=suites,
        solution=DEMO / "solution",
        scaffold=DEMO / "scaffold",
        out=tmp_path / "MUTATION.md",
        grade=grade,
        backend="local",
        **options,
    )


def test_learner_editable_files_are_those_the_scaffold_does_not_provide_as_they_are():
    assert editable_files(solution=SOLUTIONS_DIR / "00-hello", scaffold=LABS_DIR / "00-hello") == [
        "app/main.py",
        "app/pricing.py",
    ]
    assert editable_files(solution=DEMO / "solution", scaffold=DEMO / "scaffold") == ["app/flags.py"]


def test_each_mutant_is_graded_with_the_parts_that_reach_its_function(tmp_path):
    grade = FakeGrade()
    report = run(tmp_path, grade)
    assert report.reach == {"app/flags.py::is_open": ("open",), "app/flags.py::is_verbose": ("verbose",)}
    outcomes = {g.mutant.function: g.parts for g in report.graded}
    assert outcomes == {"is_open": {"open": Outcome.KILLED}, "is_verbose": {"verbose": Outcome.SURVIVED}}
    # the solution, the two probes and a control with every part, then each mutant with its part alone
    assert sorted(grade.calls) == sorted([("open", "verbose")] * 4 + [("open",), ("verbose",)])
    assert report.controls == ("",)
    text = (tmp_path / "MUTATION.md").read_text()
    assert "| open | 1 | 1 | 0 | 0 | 0 | 0 | 100% |" in text
    assert "| verbose | 1 | 0 | 0 | 1 | 1 | 0 | 0% |" in text
    assert "| **all** | 2 | 1 | 0 | 1 | 1 | 0 | 50% |" in text
    assert "-    return False\n+    return True" in text, "the surviving diff"
    assert "-    return True\n+    return False" not in text, "only surviving diffs"


def test_allow_listed_equivalent_mutants_are_reported_not_graded(tmp_path):
    suites = tmp_path / "suites"
    shutil.copytree(SUITES / LAB, suites / LAB)
    survivor = next(m for m in enumerate_mutants(DEMO / "solution", ["app/flags.py"]) if m.function == "is_verbose")
    (suites / LAB / MUTATION_EQUIVALENT).write_text(
        f'[[equivalent]]\nmutant = "{survivor.hash}"\nwhy = "no caller reads it"\n'
    )
    report = run(tmp_path, FakeGrade(), suites=suites)
    assert [g.mutant.function for g in report.graded] == ["is_open"]
    assert [(m.id, why) for m, why in report.equivalent] == [(survivor.id, "no caller reads it")]
    assert f"- `{survivor.id}` (hash `{survivor.hash}`): no caller reads it" in render(report)


def test_a_bad_allow_list_is_one_line(tmp_path):
    suites = tmp_path / "suites"
    shutil.copytree(SUITES / LAB, suites / LAB)
    (suites / LAB / MUTATION_EQUIVALENT).write_text('[[equivalent]]\nmutant = "abc"\n')
    with pytest.raises(GraderError, match="each \\[\\[equivalent\\]\\] needs mutant and why"):
        run(tmp_path, FakeGrade(), suites=suites)


def test_a_solution_that_loses_points_is_refused(tmp_path):
    with pytest.raises(GraderError, match="the solution scores 0/2"):
        run(tmp_path, FakeGrade(broken=True))


def full_marks(*, lab, submission, backend, suites_dir, parts):
    manifest = load_manifest(lab, suites_dir).select(parts)
    return Results(
        lab=lab,
        score=manifest.max_score,
        max_score=manifest.max_score,
        status="passed",
        backend=backend,
        duration_s=0.1,
        parts=tuple(PartResult(p.id, p.title, p.points, p.points) for p in manifest.parts),
    )


def test_the_same_seed_draws_the_same_sample(tmp_path):
    mutants = enumerate_mutants(SOLUTIONS_DIR / "00-hello", ["app/main.py", "app/pricing.py"])
    assert len(mutants) > 50 and len({m.id for m in mutants}) == len(mutants)
    assert len({m.hash for m in mutants}) == len(mutants), "a hash names one mutant"

    def sample(seed):
        report = mutate(
            lab="00-hello", sample=5, seed=seed, grade=full_marks, backend="local", out=tmp_path / "MUTATION.md"
        )
        return [g.mutant.id for g in report.graded]

    assert len(sample(1)) == 5
    assert sample(1) == sample(1) != sample(2)
    assert "--sample 5 --seed 2" in (tmp_path / "MUTATION.md").read_text()


def test_a_part_that_lost_points_at_a_time_limit_timed_out():
    manifest = load_manifest("00-hello").select(["health", "quotes"])
    slow = manifest.limits.test_timeout_s

    def results(duration, quotes_test_s):
        tests = (
            TestResult("test_health.py::a", "health", 3, 3, "passed"),
            TestResult("test_quotes.py::b", "quotes", 0, 4, "failed", duration_s=quotes_test_s),
        )
        parts = (PartResult("health", "", 3, 3), PartResult("quotes", "", 0, 4))
        return Results(
            lab="00-hello",
            score=3,
            max_score=7,
            status="failed",
            backend="local",
            duration_s=duration,
            parts=parts,
            tests=tests,
        )

    assert classify(results(5, 1), manifest) == {"health": Outcome.SURVIVED, "quotes": Outcome.KILLED}
    assert classify(results(40, slow), manifest) == {"health": Outcome.SURVIVED, "quotes": Outcome.TIMED_OUT}
    assert classify(results(manifest.limits.timeout_s, 0), manifest)["quotes"] is Outcome.TIMED_OUT
    error = Results.error(lab="00-hello", message="Docker is not available", backend="docker")
    assert classify(error, manifest) == {"health": Outcome.ERROR, "quotes": Outcome.ERROR}


def test_a_probe_needs_a_line_of_its_own():
    source = "def f():\n    '''Doc.'''\n    return 1\n\n\ndef g(): return 2\n"
    assert (
        probe_code(source, "f")
        == "def f():\n    raise RuntimeError(\"grader mutate: reach probe\")\n    '''Doc.'''\n    return 1\n\n\ndef g(): return 2\n"
    )
    assert probe_code(source, "g") is None


def test_a_grading_docker_broke_off_is_graded_once_more(tmp_path):
    fake, calls = FakeGrade(), []

    def flaky(**kwargs):
        calls.append(kwargs["parts"])
        if len(calls) == 1:  # the solution's grading, the first with jobs=1
            return Results.error(
                lab=LAB, message="Docker failed while grading", backend="docker", infrastructure_failure=True
            )
        return fake(**kwargs)

    report = run(tmp_path, flaky, jobs=1)
    assert len(calls) == 7 and len(report.graded) == 2


def test_a_solution_that_loses_points_among_the_mutants_marks_the_run_untrustworthy(tmp_path):
    fake, broken, solution = FakeGrade(), FakeGrade(broken=True), (DEMO / "solution" / "app" / "flags.py").read_text()
    gradings_of_the_solution = []

    def loaded_machine(**kwargs):
        if (kwargs["submission"] / "app" / "flags.py").read_text() == solution:
            gradings_of_the_solution.append(kwargs)
            if len(gradings_of_the_solution) > 1:  # the first (the baseline) passes, the control does not
                return broken(**kwargs)
        return fake(**kwargs)

    report = run(tmp_path, loaded_machine)
    assert len(report.controls) == 1 and report.controls[0]
    assert "**Not to be trusted:** the unmutated solution, graded 1 times" in render(report)


def test_every_lab_solution_gives_mutants():
    """cosmic-ray's operators trip on some constructs (Lab 06's code made one raise AttributeError):
    such a place gives no mutant; the others are still made."""
    for lab in ("05-scaling", "06-reliability"):
        files = editable_files(solution=SOLUTIONS_DIR / lab, scaffold=LABS_DIR / lab)
        assert len(enumerate_mutants(SOLUTIONS_DIR / lab, files)) > 100, lab
