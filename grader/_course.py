"""The course as nbgrader sees it, and the student edition built from it.

``course/`` is an nbgrader course: every lesson is an assignment (``course/source/<lesson>/``
links to the notebook) and its lab goes into the assignment as ``lab/``. :func:`release` runs
nbgrader's own ``generate_assignment`` for every lesson, which strips solutions and hidden tests,
adds each lab's scaffold to its release, and assembles the learner-facing edition: the released
lessons, the lab scaffolds, the dataset and a Makefile to run them, as a folder and a tar.gz
archive. No model answers, hidden suites or grader code go into either.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

from ._api import labs
from ._errors import GraderError
from ._files import ignore_junk
from ._lessons import LAB_FOLDER
from ._manifest import Manifest
from ._paths import COURSE_DIR, DATASETS_DIR, LABS_DIR, REPO_ROOT

EDITION_NAME = "duckshop-course"
EDITION_TEMPLATE = COURSE_DIR / "student-edition"  # README.md and Makefile of the edition
LEARNER_JUPYTER = COURSE_DIR / "jupyter-learner"  # make lab's JupyterLab configuration
# What the grader and nbgrader need, but a learner's lessons and labs don't.
INSTRUCTOR_ONLY = {"nbgrader", "docker", "typer", "rich", "pytest-timeout"}
_SKIP = ignore_junk("*.sqlite", "*.db")  # and a learner's databases


def lab_for_lesson(notebook_id: str) -> Manifest | None:
    """The lab whose manifest names ``course/<notebook_id>.ipynb`` as its lesson."""
    return next((m for m in labs() if Path(m.lesson).stem == notebook_id), None)


def assignments(course_dir: Path = COURSE_DIR) -> list[str]:
    """The course's assignments: one per lesson, in order."""
    return sorted(p.name for p in (course_dir / "source").iterdir() if p.is_dir())


def release(*, course_dir: Path = COURSE_DIR, out: Path | None = None) -> Path:
    """Release every lesson with nbgrader and build the student edition; return its archive."""
    out = out or REPO_ROOT / "build" / "student-edition"
    edition = out / EDITION_NAME
    shutil.rmtree(edition, ignore_errors=True)
    (edition / "course").mkdir(parents=True)
    for assignment in assignments(course_dir):
        released = release_assignment(course_dir=course_dir, assignment=assignment)
        shutil.copy(released / f"{assignment}.ipynb", edition / "course")
        manifest = lab_for_lesson(assignment)
        if manifest is not None and (released / LAB_FOLDER).is_dir():
            shutil.copytree(released / LAB_FOLDER, edition / "labs" / manifest.id)
    shutil.copytree(DATASETS_DIR, edition / "datasets", ignore=_SKIP)
    shutil.copytree(LEARNER_JUPYTER, edition / "course" / LEARNER_JUPYTER.name, ignore=ignore_junk("lab", "migrated"))
    for name in ("README.md", "Makefile"):
        shutil.copy(EDITION_TEMPLATE / name, edition / name)
    (edition / "pyproject.toml").write_text(_edition_pyproject())
    return _archive(edition, out / f"{EDITION_NAME}.tar.gz")


def nbgrader(course_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one of nbgrader's commands in the course directory, with this environment's tools on PATH.

    (nbgrader calls ``alembic`` by name when it creates a gradebook.) Raises a one-line
    GraderError when the command fails.
    """
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
    )
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line] or done.stderr.splitlines()[-1:]
        raise GraderError(f"nbgrader {' '.join(args)} failed: {errors[0] if errors else 'no output'}")
    return done


def release_assignment(*, course_dir: Path = COURSE_DIR, assignment: str) -> Path:
    """nbgrader's release of one lesson, with its lab's scaffold added as lab/; the release folder."""
    nbgrader(course_dir, "generate_assignment", assignment, "--force")
    released = course_dir / "release" / assignment
    manifest = lab_for_lesson(assignment)
    if manifest:
        shutil.copytree(LABS_DIR / manifest.id, released / LAB_FOLDER, ignore=_SKIP)
    return released


def _edition_pyproject() -> str:
    """The edition's pyproject: the course's dependencies minus the instructor's tools."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    keep = [d for d in project["dependencies"] if _name(d) not in INSTRUCTOR_ONLY]
    deps = "".join(f'    "{d}",\n' for d in keep)
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{EDITION_NAME}"\nversion = "{project["version"]}"\n'
        f'requires-python = "{project["requires-python"]}"\ndependencies = [\n{deps}]\n\n'
        '[tool.setuptools.packages.find]\nwhere = ["datasets"]\ninclude = ["shopdata*"]\n\n'
        '[tool.setuptools.package-data]\nshopdata = ["data/*"]\n'
    )


def _name(requirement: str) -> str:
    for stop in "[<>=!~ ;":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def _archive(folder: Path, target: Path) -> Path:
    """A tar.gz of ``folder`` with sorted entries and no owner or time: the same input, the same bytes."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with gzip.GzipFile(target, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for path in sorted([folder, *folder.rglob("*")]):
            tar.add(path, arcname=str(path.relative_to(folder.parent)), recursive=False, filter=clean)
    return target
