"""The course's grader: run a lab's hidden suite against a submission, in a disposable container.

    >>> import grader
    >>> results = grader.grade(lab="00-hello", backend="local")
    >>> grader.print_report(results)

Instructors: ``batch()`` grades a class in parallel, ``release()`` builds the nbgrader releases and
the student edition, ``export_gradescope()`` packages a lab for Gradescope; during ``nbgrader
autograde`` the course's config adds ``grader._nbgrader.LabGrades``.

Every name is imported on first use (PEP 562): the sandbox also imports this package, and must not
load the host's side (Docker SDK, rich, typer, nbgrader) to run a hidden suite.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._api import grade, labs
    from ._batch import BatchSummary, batch
    from ._check import check, progress
    from ._course import release
    from ._errors import GraderError
    from ._gradescope import export_gradescope
    from ._manifest import Limits, Manifest, Part, TestSpec, load_manifest
    from ._report import print_report, write_junit
    from ._results import SCHEMA_VERSION, PartResult, Results, TestResult

# public name -> the private module that defines it
_EXPORTS = {
    "SCHEMA_VERSION": "_results",
    "BatchSummary": "_batch",
    "GraderError": "_errors",
    "Limits": "_manifest",
    "Manifest": "_manifest",
    "Part": "_manifest",
    "PartResult": "_results",
    "Results": "_results",
    "TestResult": "_results",
    "TestSpec": "_manifest",
    "batch": "_batch",
    "check": "_check",
    "export_gradescope": "_gradescope",
    "grade": "_api",
    "labs": "_api",
    "load_manifest": "_manifest",
    "print_report": "_report",
    "progress": "_check",
    "release": "_course",
    "write_junit": "_report",
}

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
    "check",
    "export_gradescope",
    "grade",
    "labs",
    "load_manifest",
    "print_report",
    "progress",
    "release",
    "write_junit",
]


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
