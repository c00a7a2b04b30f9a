"""The course's grader: run a lab's hidden suite against a submission, in a disposable container.

    >>> import grader
    >>> results = grader.grade(lab="00-hello", backend="local")
    >>> grader.print_report(results)
"""

from ._api import grade, labs
from ._errors import GraderError
from ._manifest import Limits, Manifest, Part, TestSpec, load_manifest
from ._report import print_report, write_junit
from ._results import SCHEMA_VERSION, PartResult, Results, TestResult

__all__ = [
    "SCHEMA_VERSION",
    "GraderError",
    "Limits",
    "Manifest",
    "Part",
    "PartResult",
    "Results",
    "TestResult",
    "TestSpec",
    "grade",
    "labs",
    "load_manifest",
    "print_report",
    "write_junit",
]
