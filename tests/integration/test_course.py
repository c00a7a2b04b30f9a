"""course/ is an nbgrader course: its config, its assignments and lab cells, and the student edition."""

from __future__ import annotations

import tarfile
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from grader import GraderError, labs
from grader._course import COURSE_DIR, assignments, lab_for_lesson
from grader._lessons import lab_cells, sync_lab_cells
from grader._nbgrader import LabGrades, SandboxedExecute


def test_autograde_runs_notebooks_in_the_sandbox_and_grades_the_lab_before_saving():
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_DIR)).load_config()
    steps = list(config.Autograde.autograde_preprocessors)
    assert "grader._nbgrader.LabGrades" in steps
    steps.remove("grader._nbgrader.LabGrades")
    default = list(Autograde.class_traits()["autograde_preprocessors"].default())
    assert default[0] is Execute and steps == ["grader._nbgrader.SandboxedExecute", *default[1:]]
    assert issubclass(SandboxedExecute, Execute)  # c.Execute settings apply to it
    assert config.SandboxedExecute.backend == config.LabGrades.backend == "docker"


def test_every_lesson_is_an_assignment_and_every_lab_belongs_to_one():
    lessons = sorted(p.stem for p in COURSE_DIR.glob("*.ipynb"))
    assert assignments() == lessons
    for lesson in lessons:
        link = COURSE_DIR / "source" / lesson / f"{lesson}.ipynb"
        assert link.resolve() == (COURSE_DIR / f"{lesson}.ipynb").resolve()
    # A lab's cells end its lesson; a lesson may come before it without a lab of its own (01-data-layer).
    with_labs = [m.id for lesson in lessons if (m := lab_for_lesson(lesson))]
    assert sorted(with_labs) == [m.id for m in labs()]


@pytest.mark.parametrize("manifest", labs(), ids=lambda m: m.id)
def test_each_lesson_ends_with_its_labs_cells(manifest):
    assert not sync_lab_cells(manifest, check=True), (
        f"{manifest.lesson} does not end with the lab cells of {manifest.id}'s manifest: run `grader lab-cells`"
    )


def _lab_notebook(tmp_path: Path, lab: Path | None) -> tuple:
    notebook = nbformat.v4.new_notebook(cells=lab_cells(labs()[0]))
    folder = tmp_path / "autograded" / "ann" / "00-welcome"
    folder.mkdir(parents=True)
    if lab:
        import shutil

        shutil.copytree(lab, folder / "lab")
    resources = {
        "nbgrader": {"notebook": "00-welcome", "assignment": "00-welcome", "student": "ann"},
        "metadata": {"path": str(folder)},
    }
    return notebook, resources, folder


@pytest.mark.slow
def test_lab_grades_scores_each_part_from_one_run(tmp_path, make_submission):
    notebook, resources, folder = _lab_notebook(tmp_path, make_submission("00-hello", "solution"))
    notebook, _ = LabGrades(backend="local").preprocess(notebook, resources)
    scores = [float(c.outputs[-1].data["text/plain"]) for c in notebook.cells[1:-1]]
    assert scores == [p.points for p in labs()[0].parts]
    assert (folder / "lab-results.json").is_file()


def test_lab_grades_without_a_lab_folder_scores_zero_with_the_reason(tmp_path):
    notebook, resources, _ = _lab_notebook(tmp_path, None)
    titles = [cell.source.splitlines()[0] for cell in notebook.cells[1:-1]]
    notebook, _ = LabGrades(backend="local").preprocess(notebook, resources)
    for cell, title in zip(notebook.cells[1:-1], titles, strict=True):  # the part cells, between heading and check
        assert cell.outputs[-1].data["text/plain"] == "0.0"
        assert "the submission has no lab/ folder" in cell.outputs[0].data["text/plain"]
        assert cell.source.splitlines()[0] == title and "assert" not in cell.source  # no guard in feedback


def test_when_docker_is_down_autograde_steps_raise_instead_of_scoring_zero(tmp_path, make_submission, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    notebook, resources, _ = _lab_notebook(tmp_path, make_submission("00-hello", "scaffold"))
    with pytest.raises(GraderError, match="Docker is not available"):
        LabGrades(backend="docker").preprocess(notebook, resources)
    with pytest.raises(GraderError, match="Docker is not available"):
        SandboxedExecute(backend="docker").preprocess(notebook, resources)


@pytest.mark.slow
def test_the_student_edition_has_lessons_and_scaffolds_but_no_answers(student_edition):
    course, archive = student_edition
    edition = archive.parent / "duckshop-course"
    files = {str(p.relative_to(edition)) for p in edition.rglob("*") if p.is_file()}
    with tarfile.open(archive) as tar:
        assert {n.removeprefix("duckshop-course/") for n in tar.getnames() if tar.getmember(n).isfile()} == files
    assert {f"course/{a}.ipynb" for a in assignments()} <= files
    assert {"README.md", "Makefile", "pyproject.toml", "datasets/shopdata/__init__.py"} <= files
    assert not [f for f in files if f.startswith(("solutions/", "grader/", "tests/"))]
    for manifest in labs():
        scaffold = Path(COURSE_DIR.parent, "labs", manifest.id)
        for name in (f for f in files if f.startswith(f"labs/{manifest.id}/")):
            assert (edition / name).read_bytes() == (scaffold / name.split("/", 2)[2]).read_bytes()
        assert (course / "release" / Path(manifest.lesson).stem / "lab" / "README.md").is_file()
    for lesson in edition.glob("course/*.ipynb"):
        text = lesson.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    pyproject = (edition / "pyproject.toml").read_text()
    assert "nbgrader" not in pyproject and "docker" not in pyproject and "Faker==" in pyproject
