"""The course's grader: run a lab's hidden suite against a submission, in a disposable container.

    >>> import grader
    >>> results = grader.grade(lab="00-hello", backend="local")
    >>> grader.print_report(results)

Instructors: ``batch()`` grades a class in parallel, ``release()`` builds the nbgrader releases and
the student edition, ``export_gradescope()`` packages a lab for Gradescope; during ``nbgrader
autograde`` the course's config adds ``grader._nbgrader.LabGrades``.
"""

from ._api import grade, labs
from ._batch import BatchSummary, batch
from ._course import release
from ._errors import GraderError
from ._gradescope import export_gradescope
from ._manifest import Limits, Manifest, Part, TestSpec, load_manifest
from ._report import print_report, write_junit
from ._results import SCHEMA_VERSION, PartResult, Results, TestResult

__all__ = [
    "SCHEMA_VERSION",
    "BatchSummary",
    "GraderError",
    "Limits",
    "Manifest",
    "Part",
    "PartResult",
    "Results",
    "TestResult",
    "TestSpec",
    "batch",
    "export_gradescope",
    "grade",
    "labs",
    "load_manifest",
    "print_report",
    "release",
    "write_junit",
]
