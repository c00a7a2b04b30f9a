"""nbgrader's configuration for the course. Run nbgrader from this directory (course/).

Every lesson is an assignment: course/source/<lesson>/<lesson>.ipynb links to the lesson in
course/, so there is one copy to edit. A lesson's lab goes into its assignment as lab/:
`make release` (grader release) adds the scaffold to each release, and learners submit the
assignment folder with their lab/ in it.

Autograde runs each notebook in a grading container (grader._nbgrader.SandboxedExecute, in place
of nbgrader's Execute), then grader._nbgrader.LabGrades grades the lab/ folder with the container
grader and scores each lab part's grade cell (see that module).
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "duckshop-backend"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*", "*.sqlite", "*.db"]

# Lessons run real experiments (threads, servers, plots): allow a slow machine per cell.
c.Execute.timeout = 300

# nbgrader's default autograde steps, with the notebook run in a container instead of in a kernel of
# the instructor's, and the lab's container grading before the grades are saved.
# What a student fetches is the student edition: the full course's own cells are left out.
c.GenerateAssignment.preprocessors = [
    "grader._nbgrader.StudentEdition",
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]
c.Autograde.autograde_preprocessors = [
    "grader._nbgrader.SandboxedExecute",
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    "grader._nbgrader.LabGrades",
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.SandboxedExecute.backend = "docker"  # real isolation for grades that count ("local": none)
c.LabGrades.backend = "docker"
