"""nbgrader and the course: notebooks run in a container, each lesson's lab scored part by part.

The course's ``nbgrader_config.py`` changes two of ``nbgrader autograde``'s steps:

- :class:`SandboxedExecute` replaces nbgrader's ``Execute``: each submitted notebook runs in a
  grading container (no network, the image's packages, memory, process and time limits), with
  nbclient as a trusted process and the kernel as the learner's user, on a copy of the
  assignment folder (``grader._sandbox.notebook``). Without it the kernel would run as the
  instructor, beside the gradebook, the hidden suites and the model answers - and could, for
  example, copy a model answer into ``lab/`` before the lab is graded. Exercises are scored by
  nbgrader's own rules, from the outputs the kernel sent.
- :class:`LabGrades`, after execution, scores the lab. A lesson notebook ends with one locked grade
  cell per part of its lab (grade id ``lab-<part>``, worth that part's points; ``grader lab-cells``
  writes them from the lab's manifest, see ``grader._lessons``). LabGrades grades the submission's
  ``lab/`` folder once with the container grader and gives each lab cell two outputs: a table of the part's tests,
  with each lost point's message and hint (``nbgrader generate_feedback`` shows it; hidden test
  code never appears in results), and the part's score as the cell's result, which nbgrader
  records as partial credit. It runs in nbgrader's own process and replaces whatever the kernel
  printed in those cells: nothing learner code does in the notebook reaches the lab's score.
  Without it the lab cells fail on purpose under autograde (0 points, never full marks).

When grading itself breaks (Docker is down, the image is missing) both steps raise: nbgrader then
records no grade for that submission and says so, and a re-run of ``nbgrader autograde`` grades it.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Enum, Float, Integer

from ._api import grade
from ._autograde import lab_slot
from ._course import lab_for_lesson
from ._errors import GraderError
from ._html import STYLE, part_html
from ._lessons import CELL_PREFIX, LAB_FOLDER, scored_source
from ._manifest import Limits
from ._paths import DATASETS_DIR
from ._results import Results, Status
from ._text import inert
from ._workspace import for_edition

RESULTS_FILE = "lab-results.json"  # written beside the autograded notebook, for the instructor
# The kernel's environment in the container, beside PATH, HOME, TMPDIR and LANG.
KERNEL_ENV = {"NBGRADER_EXECUTION": "autograde", "PYTHONPATH": "/opt/datasets"}  # shopdata, mounted read-only
LOCAL_EXECUTION = (
    "notebooks run in nbgrader's own kernel, as your user, without isolation "
    "(c.SandboxedExecute.backend = 'local'); use 'docker' for grades that count"
)


def part_outputs(results: Results, part_id: str) -> list[nbformat.NotebookNode]:
    """A lab cell's outputs: a styled table of the part's tests (``_html.part_html``: a mark, the
    test with its message and hint apart, points), then the part's score - the number nbgrader
    reads as partial credit, shown in feedback as a sentence."""
    part = next((p for p in results.parts if p.id == part_id), None)
    score = part.score if part else 0.0
    if results.status == "error" or part is None:
        reason = inert(results.message or f"the lab's results have no part {part_id!r}")
        body = f'{STYLE}<div class="duckshop-grade"><p>The lab could not be graded: {html.escape(reason)}</p></div>'
        text = f"The lab could not be graded: {reason}"
        sentence = "0 points: the lab could not be graded"
    else:
        body = part_html(results, part_id)
        lines = [
            f"{'passed' if t.status == 'passed' else 'FAILED'}  {t.score:g}/{t.max_score:g}  {t.name}"
            + ("" if t.status == "passed" else f"\n    {inert(t.message)}\n    Hint: {t.hint}")
            for t in results.tests
            if t.part == part_id
        ]
        text = f"{part.title}: {score:g} of {part.max_score:g} points\n" + "\n".join(lines)
        sentence = f"{score:g} of {part.max_score:g} points for {html.escape(part.title)}"
    return [
        nbformat.v4.new_output("display_data", data={"text/html": body, "text/plain": text}),
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": repr(float(score)), "text/html": f"<b>{sentence}</b>"},
            execution_count=None,
        ),
    ]


class StudentEdition(NbGraderPreprocessor):
    """Release step (first of ``GenerateAssignment.preprocessors``): drop the cells that only the
    full course holds (``"edition": "full"``, see ``grader._workspace``), so that what a student
    fetches names only what the student edition has."""

    def preprocess(self, nb, resources):
        return for_edition(nb, "student"), resources


class LabGrades(NbGraderPreprocessor):
    """Autograde step: score the lab cells from one container run on the submission's lab/."""

    backend = Enum(
        ["docker", "local"], "docker", help="How to run the hidden suite: docker (grades that count) or local"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(CELL_PREFIX)]
        if not cells:
            return nb, resources
        notebook_id = resources["nbgrader"]["notebook"]
        manifest = lab_for_lesson(notebook_id)
        folder = Path(resources["metadata"]["path"])
        if manifest is None:
            results = Results.error(lab="?", message=f"no lab names {notebook_id} as its lesson")
        elif not (folder / LAB_FOLDER).is_dir():
            results = Results.error(
                lab=manifest.id,
                message=f"the submission has no {LAB_FOLDER}/ folder",
                max_score=manifest.max_score,
            )
        elif refused := symlinks_problem(submitted_folder(self.config, resources)):
            results = Results.error(lab=manifest.id, message=refused, max_score=manifest.max_score)
        else:
            with lab_slot():  # under grader autograde: take turns with the other students' labs
                results = grade(lab=manifest.id, submission=folder / LAB_FOLDER, backend=self.backend)
            if grading_broke(results):
                raise GraderError(f"lab {manifest.id} could not be graded: {results.message}")
        log = self.log.error if results.status == "error" else self.log.info
        log(
            "lab %s for %s: %s (%g of %g) %s",
            results.lab,
            resources["nbgrader"]["student"],
            results.status,
            results.score,
            results.max_score,
            results.message,
        )
        (folder / RESULTS_FILE).write_text(results.to_json())
        for cell in cells:
            cell.outputs = part_outputs(results, cell.metadata["nbgrader"]["grade_id"][len(CELL_PREFIX) :])
            cell.source = scored_source(cell.source)  # feedback shows what scored it, not the guard
        return nb, resources


def grading_broke(results: Results) -> bool:
    """Whether the grader, not the submission, is why ``results`` holds no grade: its machinery
    failed (``infrastructure_failure``: Docker down or broke the run off, the image missing), or no
    sandbox ran at all (an error without tests: LabGrades checked the submission's side first).

    A sandbox that the learner's code brought down (its memory, its deadline) is that learner's
    grade: every test is there, scoring 0 with the reason, and it is recorded like any other.
    """
    return results.infrastructure_failure or (results.status is Status.ERROR and not results.tests)


class SandboxedExecute(Execute):
    """Autograde step: nbgrader's Execute, with the notebook run in a grading container.

    nbgrader's Execute settings (``c.Execute.timeout`` per cell, ``interrupt_on_timeout``...)
    apply inside the container. A kernel that dies, or a notebook past ``deadline`` or over its
    memory, gives each cell that did not run an error output saying why (0 points if graded);
    the cells that ran keep their outputs.
    """

    backend = Enum(
        ["docker", "local"],
        "docker",
        help="docker: each notebook in a grading container; local: in nbgrader's own kernel, without isolation",
    ).tag(config=True)
    deadline = Integer(900, help="Seconds for a whole notebook").tag(config=True)
    memory_mb = Integer(2048, help="Memory for a notebook's container").tag(config=True)
    cpus = Float(2.0, help="CPUs for a notebook's container").tag(config=True)
    pids = Integer(512, help="Processes and threads in a notebook's container").tag(config=True)
    scratch_mb = Integer(
        1024, help="Size of the container's /tmp: the kernel's copy of the folder and what it writes"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        refused = symlinks_problem(submitted_folder(self.config, resources))
        if refused:  # never run: what the links pointed to is in the autograded copy
            self.log.warning("%s for %s not run: %s", resources["nbgrader"]["notebook"], student, refused)
            merge_executed(nb, None, refused)
            return nb, resources
        if self.backend == "local":
            self.log.warning(LOCAL_EXECUTION)
            return super().preprocess(nb, resources)
        from ._backends.notebook import run_notebook

        settings = {
            "timeout": self.timeout,
            "interrupt_on_timeout": self.interrupt_on_timeout,
            "raise_on_iopub_timeout": self.raise_on_iopub_timeout,
            "error_on_timeout": dict(self.error_on_timeout),
            "extra_arguments": tuple(self.extra_arguments),
        }
        limits = Limits(
            timeout_s=self.deadline,
            memory_mb=self.memory_mb,
            cpus=self.cpus,
            pids=self.pids,
            scratch_mb=self.scratch_mb,
        )
        executed, problem = run_notebook(
            nbformat.writes(nb),
            folder=Path(resources["metadata"]["path"]),
            settings=settings,
            limits=limits,
            kernel_env=KERNEL_ENV,
            extra_volumes={"/opt/datasets": str(DATASETS_DIR)},
        )
        stopped = merge_executed(nb, executed, problem)
        if stopped:
            self.log.warning("%s for %s stopped early: %s", resources["nbgrader"]["notebook"], student, stopped)
        return nb, resources


def submitted_folder(config, resources) -> Path:
    """The student's folder in nbgrader's submitted/ (what they handed in, before nbgrader copied it)."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    return Path(
        coursedir.format_path(
            coursedir.submitted_directory, resources["nbgrader"]["student"], resources["nbgrader"]["assignment"]
        )
    )


def symlinks_problem(submitted: Path) -> str | None:
    """Why a submission with symbolic links is not graded (None: it has none).

    nbgrader copies what a link points to into the autograded folder, so links could hand in the
    instructor's files: a model answer for lab/, a hidden test for the kernel to print into the
    feedback. Such a submission is neither run nor graded; the one-line reason is its feedback.
    """
    links = []
    for directory, dirs, files in os.walk(submitted):
        links += [
            os.path.relpath(os.path.join(directory, n), submitted)
            for n in dirs + files
            if os.path.islink(os.path.join(directory, n))
        ]
    if not links:
        return None
    shown = ", ".join(sorted(links)[:3]) + (", ..." if len(links) > 3 else "")
    return (
        f"the submission holds symbolic links ({shown}): it is not graded, since nbgrader would copy "
        "what they point to - hand in the files themselves"
    )


def merge_executed(nb: nbformat.NotebookNode, executed: str | None, problem: str = "") -> str | None:
    """Copy the sandbox's outputs into ``nb``, cell by cell, and give every code cell that did not
    finish an error output with the reason. Returns that reason (None: every cell ran).

    Raises GraderError when the executed notebook is not the one that was sent (a grader bug).
    """
    done, stopped = 0, None
    if executed is not None:
        ran = nbformat.reads(executed, as_version=4)
        if [(c.cell_type, c.source) for c in ran.cells] != [(c.cell_type, c.source) for c in nb.cells]:
            raise GraderError("the notebook sandbox returned cells that differ from those it was given")
        for cell, result in zip(nb.cells, ran.cells):
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = result.outputs, result.get("execution_count")
        if "language_info" in ran.metadata:
            nb.metadata["language_info"] = ran.metadata["language_info"]
        progress = ran.metadata.get("grader", {})
        done, stopped = int(progress.get("completed", 0)), progress.get("stopped")
    if done >= len(nb.cells):
        return None
    reason = problem or stopped or "the notebook sandbox stopped without saying why"
    message = f"this cell did not run to the end in the grading sandbox: {reason}"
    for cell in nb.cells[done:]:
        if cell.cell_type == "code":
            cell.outputs.append(
                nbformat.v4.new_output("error", ename="SandboxError", evalue=message, traceback=[message])
            )
    return reason
