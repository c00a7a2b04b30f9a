"""``grader new-lab``: one command makes a lab that grades end to end, touching nothing else."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import GraderError, grade, load_manifest
from grader._lessons import sync_lab_cells
from grader._new_lab import new_lab
from grader._paths import REPO_ROOT
from grader._results import Status

LAB = "98-example-lab"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course root holding only what new-lab reads (the README, course/source/), and the new lab."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "README.md", root / "README.md")
    (root / "course" / "source").mkdir(parents=True)
    created = new_lab(lab=LAB, root=root)
    files = {p.relative_to(root) for p in root.rglob("*") if p.is_file() or p.is_symlink()}
    assert set(created.written) == files, "new-lab says what it wrote, and wrote nothing else"
    return root


def _grade(course: Path, kind: str):
    return grade(lab=LAB, submission=course / kind / LAB, backend="local", suites_dir=course / "grader" / "suites")


def test_the_solution_gets_full_marks_and_the_scaffold_zero_without_timeouts(course):
    solution = _grade(course, "solutions")
    assert (solution.status, solution.score) == (Status.PASSED, solution.max_score), solution.message
    scaffold = _grade(course, "labs")
    assert (scaffold.status, scaffold.score) == (Status.FAILED, 0), scaffold.message
    messages = [t.message for t in scaffold.tests]
    assert not [m for m in messages if "within" in m or "not run" in m], messages  # failed fast, not timed out
    assert any("not implemented yet" in m for m in messages) and any("501" in m for m in messages), messages


def test_the_public_tests_pass_on_the_solution_and_fail_on_the_scaffold(course):
    def public(kind: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
            cwd=course / kind / LAB,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert public("solutions").returncode == 0
    scaffold = public("labs")
    assert scaffold.returncode == 1 and " passed" not in scaffold.stdout.splitlines()[-1], scaffold.stdout


def test_the_contract_rules_are_traced_and_the_lesson_is_linked(course):
    manifest = load_manifest(LAB, course / "grader" / "suites")
    readme = (course / "labs" / LAB / "README.md").read_text()
    assert re.findall(r"\*\*(R\d+)\.\*\*", readme) == list(manifest.rules) == ["R1", "R2", "R3"]
    assert {t for tests in manifest.rules.values() for t in tests} == {spec.name for _, spec in manifest.tests}
    link = course / "course" / "source" / LAB / f"{LAB}.ipynb"
    assert link.resolve() == (course / manifest.lesson).resolve()
    assert not sync_lab_cells(manifest, root=course, check=True), "the lesson ends with its lab cells"
    rows = [line for line in (course / "README.md").read_text().splitlines() if line.startswith("| 98 |")]
    assert len(rows) == 1 and f"`{LAB}`" in rows[0] and "3 tests, 2 parts" in rows[0]
    before = (REPO_ROOT / "README.md").read_text().splitlines()
    after = (course / "README.md").read_text().splitlines()
    assert [line for line in after if line not in before] == rows, "the README gained the lesson's row only"


def test_the_lesson_skeleton_says_so_and_has_graded_exercises(course):
    notebook = nbformat.read(course / "course" / f"{LAB}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert "Skeleton written by `grader new-lab`" in notebook.cells[0].source
    graded = [c.metadata["nbgrader"] for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len([g for g in graded if not g["grade_id"].startswith("lab-")]) >= 3
    assert all(c.outputs == [] for c in notebook.cells if c.cell_type == "code")


@pytest.mark.slow
def test_the_lesson_skeleton_runs_top_to_bottom(course, monkeypatch):
    # The kernel runs in the course root, as in a checkout: its ``import grader`` must find a grader
    # package there (not the suites folder alone, a namespace package without ``check``), whose
    # paths are this course's, so that the last cell checks the new lab's scaffold.
    shutil.copytree(
        REPO_ROOT / "grader",
        course / "grader",
        ignore=lambda folder, names: ["suites", "__pycache__"] if Path(folder) == REPO_ROOT / "grader" else [],
        dirs_exist_ok=True,
    )
    monkeypatch.setenv("GRADER_BACKEND", "local")
    notebook = nbformat.read(course / "course" / f"{LAB}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(course)}}).execute()


def test_an_existing_lab_or_a_malformed_id_is_refused(course):
    with pytest.raises(GraderError, match="exists already"):
        new_lab(lab=LAB, root=course)
    for bad in ("5-x", "05_rate", "05-Rate", "../05-x"):
        with pytest.raises(GraderError, match="two digits, a dash and a topic"):
            new_lab(lab=bad, root=course)
