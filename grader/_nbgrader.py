"""nbgrader and the labs: each lesson's lab is scored part by part in the gradebook.

A lesson notebook ends with one locked grade cell per part of its lab (grade id ``lab-<part>``,
worth that part's points; :func:`lab_cells` writes them from the lab's manifest). During
``nbgrader autograde`` the :class:`LabGrades` preprocessor, which the course's
``nbgrader_config.py`` places after execution, grades the submission's ``lab/`` folder once
with the container grader and gives each lab cell two outputs:

- a table of the part's tests, with each lost point's message and hint (``nbgrader
  generate_feedback`` shows it; hidden test code never appears in results);
- the part's score as the cell's result, which nbgrader records as partial credit.

The preprocessor runs in nbgrader's own process, after the learner's kernel has finished, and
replaces whatever the kernel printed: nothing learner code does in the notebook reaches the
score. Without it the lab cells fail on purpose under autograde (0 points, never full marks).
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ._api import grade
from ._course import LAB_FOLDER, lab_for_lesson
from ._manifest import Manifest
from ._results import Results

CELL_PREFIX = "lab-"
RESULTS_FILE = "lab-results.json"  # written beside the autograded notebook, for the instructor

_CHECK = (
    "import os\n"
    'assert os.environ.get("NBGRADER_EXECUTION") != "autograde", '
    '"lab parts are scored by grader._nbgrader.LabGrades (see course/nbgrader_config.py)"'
)


def lab_cells(manifest: Manifest) -> list[nbformat.NotebookNode]:
    """The cells that end a lesson: a heading, then one locked grade cell per lab part."""
    intro = nbformat.v4.new_markdown_cell(
        f"## Your score for {manifest.title}\n\n"
        f"Each cell below is worth the points of one part of the lab. When your instructor autogrades\n"
        f"this assignment, the hidden suite runs in a container against the `{LAB_FOLDER}/` folder of your\n"
        f"submission, and each cell receives its part's score and the result of every test, with hints.\n"
        f"Running them yourself does nothing; to check your lab now, run `make grade LAB={manifest.id}`."
    )
    cells = [intro]
    for part in manifest.parts:
        cell = nbformat.v4.new_code_cell(
            f'# Lab {manifest.id}, part "{part.id}": {part.title} ({part.points:g} points)\n{_CHECK}'
        )
        cell.metadata["nbgrader"] = {
            "grade": True, "solution": False, "locked": True, "task": False,
            "points": part.points, "grade_id": f"{CELL_PREFIX}{part.id}", "schema_version": 3,
        }
        cells.append(cell)
    return cells


def part_outputs(results: Results, part_id: str) -> list[nbformat.NotebookNode]:
    """A lab cell's outputs: a table of the part's tests, then its score (nbgrader's partial credit)."""
    part = next((p for p in results.parts if p.id == part_id), None)
    score = part.score if part else 0.0
    if results.status == "error" or part is None:
        reason = results.message or f"the lab's results have no part {part_id!r}"
        body = f"<p>The lab could not be graded: {html.escape(reason)}</p>"
        text = f"The lab could not be graded: {reason}"
    else:
        rows, lines = [], []
        for test in (t for t in results.tests if t.part == part_id):
            note = "" if test.status == "passed" else " ".join(filter(None, (test.message, test.hint)))
            rows.append(
                f"<tr><td>{html.escape(test.name)}</td><td>{test.status}</td>"
                f"<td>{test.score:g} / {test.max_score:g}</td><td>{html.escape(note)}</td></tr>"
            )
            lines.append(f"{test.status:7} {test.score:g}/{test.max_score:g}  {test.name}  {note}".rstrip())
        body = (
            f"<p><b>{html.escape(part.title)}</b>: {score:g} of {part.max_score:g} points</p>"
            "<table><tr><th>test</th><th>result</th><th>points</th><th>what to revisit</th></tr>"
            + "".join(rows) + "</table>"
        )
        text = f"{part.title}: {score:g} of {part.max_score:g} points\n" + "\n".join(lines)
    return [
        nbformat.v4.new_output("display_data", data={"text/html": body, "text/plain": text}),
        nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=None),
    ]


class LabGrades(NbGraderPreprocessor):
    """Autograde step: score the lab cells from one container run on the submission's lab/."""

    backend = Unicode("docker", help="How to run the hidden suite: docker (grades that count) or local").tag(config=True)

    def preprocess(self, nb, resources):
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(CELL_PREFIX)]
        if not cells:
            return nb, resources
        notebook_id = resources["nbgrader"]["notebook"]
        manifest = lab_for_lesson(notebook_id)
        folder = Path(resources["metadata"]["path"])
        if manifest is None:
            results = Results.error(lab="?", message=f"no lab names {notebook_id} as its lesson", backend="none")
        elif not (folder / LAB_FOLDER).is_dir():
            results = Results.error(lab=manifest.id, message=f"the submission has no {LAB_FOLDER}/ folder",
                                    backend="none", max_score=manifest.max_score)
        else:
            results = grade(lab=manifest.id, submission=folder / LAB_FOLDER, backend=self.backend)
        log = self.log.error if results.status == "error" else self.log.info
        log("lab %s for %s: %s (%g of %g) %s", results.lab, resources["nbgrader"]["student"], results.status,
            results.score, results.max_score, results.message)
        (folder / RESULTS_FILE).write_text(results.to_json())
        for cell in cells:
            cell.outputs = part_outputs(results, cell.metadata["nbgrader"]["grade_id"][len(CELL_PREFIX):])
        return nb, resources
