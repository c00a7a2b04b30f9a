"""Lessons: committed without outputs, run top to bottom offline in under 90 s."""

import time
from datetime import datetime
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
def test_runs_top_to_bottom(path: Path, monkeypatch):
    monkeypatch.setenv("GRADER_BACKEND", "local")  # the lesson's last cell checks the lab's scaffold
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(COURSE_DIR)}}
    ).execute()
    # The lesson's own cells get 90 s; the last cell grades the lab (issue 19's budget, not the lesson's).
    check = next((c for c in notebook.cells if c.get("id") == "lab-check"), None)
    grading = _seconds(check.metadata["execution"]) if check is not None else 0.0
    assert time.monotonic() - started - grading < 90
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert not [o for o in cell.outputs if o.get("name") == "stderr"], (
                "nbgrader scores a test cell 0 if it writes to stderr"
            )


def _seconds(execution: dict) -> float:
    """How long a cell ran, from the timestamps nbclient records in its metadata."""
    began, ended = (
        datetime.fromisoformat(execution[k].replace("Z", "+00:00"))
        for k in ("iopub.execute_input", "shell.execute_reply")
    )
    return (ended - began).total_seconds()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_an_unsolved_exercise_does_not_stop_run_all(path: Path):
    """In a learner's copy an exercise's tests fail (nbgrader still scores them 0), and so does a
    solution stripped at the top level of a cell: those cells carry the ``raises-exception`` tag,
    which JupyterLab's Run All and nbclient honour, so the rest of the lesson still runs."""
    notebook = nbformat.read(path, as_version=4)
    untagged = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        is_test = meta.get("grade") and not meta.get("solution") and not meta.get("grade_id", "").startswith("lab-")
        raises_when_stripped = meta.get("solution") and any(
            line.startswith("### BEGIN SOLUTION") for line in cell.source.splitlines()
        )
        if (is_test or raises_when_stripped) and not tagged:
            untagged.append(meta.get("grade_id", cell.get("id")))
    assert not untagged, f"cells that stop Run All in a learner's copy: {untagged}"
