"""The learner's own copies of the lessons: solutions and hidden tests stripped, made once.

Lessons are authored in ``course/`` with nbgrader solution regions. ``make lab`` copies each
one into ``workspace/`` through nbgrader's own preprocessors, and never overwrites a copy that
exists: updating the course (``git pull``) leaves the learner's work alone, and a new lesson
appears as a new file. Delete a copy to get a fresh one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import nbformat

from ._paths import COURSE_DIR, REPO_ROOT

WORKSPACE_DIR = REPO_ROOT / "workspace"

# A cell whose metadata says ``"edition": "full"`` is only in the full course (this repository:
# `make grade`, solutions/, workspace/), one that says ``"student"`` only in the student edition
# (nbgrader's release and its archive: public tests, the instructor grades); other cells in both.
Edition = Literal["full", "student"]
EDITION_KEY = "edition"


def for_edition(notebook: nbformat.NotebookNode, edition: Edition) -> nbformat.NotebookNode:
    """The notebook with only the cells of ``edition`` (changed in place, and returned)."""
    notebook.cells = [cell for cell in notebook.cells if cell.metadata.get(EDITION_KEY, edition) == edition]
    return notebook


def student_version(source: Path) -> nbformat.NotebookNode:
    """The notebook as a learner of the full course gets it: its edition's cells, no solutions,
    no hidden tests, no outputs."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    notebook = for_edition(nbformat.read(source, as_version=4), "full")
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def make_workspace(*, course_dir: Path = COURSE_DIR, workspace_dir: Path = WORKSPACE_DIR) -> list[Path]:
    """Create the missing learner copies; return the ones created."""
    workspace_dir.mkdir(exist_ok=True)
    created = []
    for source in sorted(course_dir.glob("*.ipynb")):
        target = workspace_dir / source.name
        try:
            with open(target, "x", encoding="utf-8") as f:  # never over a file that is there
                nbformat.write(student_version(source), f)
        except FileExistsError:  # the learner's, or made meanwhile by another `make lab`
            continue
        created.append(target)
    return created
