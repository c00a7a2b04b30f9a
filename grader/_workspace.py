"""The learner's own copies of the lessons: solutions and hidden tests stripped, made once.

Lessons are authored in ``course/`` with nbgrader solution regions. ``make lab`` copies each
one into ``workspace/`` through nbgrader's own preprocessors, and never overwrites a copy that
exists: updating the course (``git pull``) leaves the learner's work alone, and a new lesson
appears as a new file. Delete a copy to get a fresh one.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from ._paths import COURSE_DIR, REPO_ROOT

WORKSPACE_DIR = REPO_ROOT / "workspace"


def student_version(source: Path) -> nbformat.NotebookNode:
    """The notebook as a learner gets it: no solutions, no hidden tests, no outputs."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    notebook = nbformat.read(source, as_version=4)
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
        if not target.exists():
            nbformat.write(student_version(source), target)
            created.append(target)
    return created
