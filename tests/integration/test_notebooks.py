"""Lessons: committed without outputs, run top to bottom offline in under 90 s."""

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader._workspace import COURSE_DIR

LESSONS = sorted(COURSE_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "clear outputs before committing"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_has_graded_exercises(path: Path):
    notebook = nbformat.read(path, as_version=4)
    graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert graded and solutions, "every lesson has nbgrader exercises"
    assert all(c.metadata["nbgrader"].get("points", 0) > 0 for c in graded)


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path):
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(COURSE_DIR)}}).execute()
    assert time.monotonic() - started < 90
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert not [o for o in cell.outputs if o.get("name") == "stderr"], "nbgrader scores a test cell 0 if it writes to stderr"
