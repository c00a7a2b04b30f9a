"""A lesson's lab cells: the end of ``course/NN-topic.ipynb``, generated from its lab's manifest.

A lesson ends with a heading cell and one locked nbgrader grade cell per part of its lab (grade id
``lab-<part>``, worth that part's points). During ``nbgrader autograde``, ``grader._nbgrader.LabGrades``
gives each of them its part's score. They are never written by hand: change the manifest's parts
or points, then run ``grader lab-cells`` (``make lab-cells``), which rewrites the lab cells of every
lesson whose cells differ and leaves the rest of each notebook alone.
``tests/integration/test_course.py`` fails when a lesson's lab cells are out of sync.

Cell ids are fixed (``lab-intro``, then the grade id), so the cells are a pure function of the
manifest and regenerating them changes nothing in git when nothing changed.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from ._errors import GraderError
from ._manifest import Manifest
from ._paths import REPO_ROOT

CELL_PREFIX = "lab-"  # the grade id of a lab cell: lab-<part id>
INTRO_ID = "lab-intro"
CHECK_ID = "lab-check"  # the lesson's last cell: grader.check of its lab
INTRO_HEADING = "## Your score for "
LAB_FOLDER = "lab"  # where a lab lives inside an nbgrader assignment: <lesson>/lab/

_CHECK = (
    "import os\n"
    'assert os.environ.get("NBGRADER_EXECUTION") != "autograde", '
    '"lab parts are scored by grader._nbgrader.LabGrades (see course/nbgrader_config.py)"'
)
_SCORED = "# Scored from your lab/ folder by the course's grader: each test below, what went wrong, and a hint."


def scored_source(source: str) -> str:
    """A lab cell as feedback shows it once LabGrades has scored it: its title line and what scored
    it, not the check that makes the cell fail when nothing else scores it."""
    return source.split("\n", 1)[0] + "\n" + _SCORED


def lab_cells(manifest: Manifest) -> list[nbformat.NotebookNode]:
    """The cells that end a lesson: a heading, then one locked grade cell per lab part."""
    intro = nbformat.v4.new_markdown_cell(
        f"{INTRO_HEADING}{manifest.title}\n\n"
        f"Each cell below is worth the points of one part of the lab. When your instructor autogrades\n"
        f"this assignment, the hidden suite runs in a container against the `{LAB_FOLDER}/` folder of your\n"
        f"submission, and each cell receives its part's score and the result of every test, with hints.\n"
        f"Running them yourself does nothing: to check your lab now, run the last cell of this lesson.",
        id=INTRO_ID,
    )
    cells = [intro]
    for part in manifest.parts:
        grade_id = f"{CELL_PREFIX}{part.id}"
        cell = nbformat.v4.new_code_cell(
            f'# Lab {manifest.id}, part "{part.id}": {part.title} ({part.points:g} points)\n{_CHECK}', id=grade_id
        )
        cell.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "task": False,
            "points": part.points,
            "grade_id": grade_id,
            "schema_version": 3,
        }
        cells.append(cell)
    cells.append(nbformat.v4.new_code_cell(_check_source(manifest), id=CHECK_ID))
    return cells


def _check_source(manifest: Manifest) -> str:
    return (
        "# Check your lab now: its hidden suite runs (in a container when Docker answers) with live\n"
        "# progress, then your points per part, and for each test that failed what happened and a hint.\n"
        "import os\n"
        "\n"
        'if os.environ.get("NBGRADER_EXECUTION") == "autograde":\n'
        '    print("Autograding: your instructor\'s grader scores the lab cells above, not this one.")\n'
        "else:\n"
        "    try:\n"
        "        import grader\n"
        "    except ImportError:  # the student edition has no hidden suites\n"
        f'        print("Check your lab with its public tests: make test LAB={manifest.id}")\n'
        "    else:\n"
        f'        grader.check("{manifest.id}")'
    )


def is_lab_cell(cell: nbformat.NotebookNode) -> bool:
    """A generated cell: a lab part's grade cell, or the heading before them."""
    if cell.get("id") in (INTRO_ID, CHECK_ID):
        return True
    if cell.cell_type == "markdown" and cell.source.startswith(INTRO_HEADING):
        return True
    return str(cell.metadata.get("nbgrader", {}).get("grade_id", "")).startswith(CELL_PREFIX)


def lesson_path(manifest: Manifest, *, root: Path = REPO_ROOT) -> Path:
    """The lesson notebook the manifest names (``lesson = "course/NN-topic.ipynb"``)."""
    if not manifest.lesson:
        raise GraderError(f"{manifest.id}: its manifest names no lesson")
    path = root / manifest.lesson
    if not path.is_file():
        raise GraderError(f"{manifest.id}: its lesson {manifest.lesson} does not exist")
    return path


def with_lab_cells(notebook: nbformat.NotebookNode, manifest: Manifest) -> nbformat.NotebookNode:
    """``notebook`` with its lab cells (wherever they were) removed and the manifest's appended."""
    keep = [cell for cell in notebook.cells if not is_lab_cell(cell)]
    updated = nbformat.from_dict(notebook)
    updated.cells = keep + lab_cells(manifest)
    return updated


def sync_lab_cells(manifest: Manifest, *, root: Path = REPO_ROOT, check: bool = False) -> bool:
    """Make the lab's lesson end with the manifest's lab cells; return whether they had to change.

    With ``check``, only say so and write nothing. Raises GraderError when the lesson is missing.
    """
    path = lesson_path(manifest, root=root)
    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    updated = nbformat.writes(with_lab_cells(notebook, manifest)) + "\n"
    if updated == text:
        return False
    if not check:
        path.write_text(updated, encoding="utf-8")
    return True
