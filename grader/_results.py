"""The results of one grading run: small versioned dataclasses, and their JSON form.

The JSON is a superset of Gradescope's ``results.json`` (``score``, ``execution_time``,
``output``, ``visibility``, ``tests[]`` with ``score``/``max_score``/``status``/``name``/
``number``/``output``/``tags``/``visibility``) plus the course's own fields. Its JSON Schema
is ``grader/schema/results.schema.json``. Display lives in ``_report``, not here.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

SCHEMA_VERSION = 1
Status = Literal["passed", "failed", "error"]


@dataclasses.dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    part: str
    score: float
    max_score: float
    status: Status
    message: str = ""
    hint: str = ""
    output: str = ""
    duration_s: float = 0.0

    def to_dict(self, number: int) -> dict:
        return {
            **dataclasses.asdict(self),
            "number": str(number),
            "tags": [self.part],
            "visibility": "visible",
        }


@dataclasses.dataclass(frozen=True)
class PartResult:
    id: str
    title: str
    score: float
    max_score: float


@dataclasses.dataclass(frozen=True)
class Results:
    lab: str
    score: float
    max_score: float
    status: Status  # passed: full marks; failed: graded, not full marks; error: could not grade
    backend: str
    duration_s: float
    message: str = ""  # one line; for status "error", why grading was impossible
    title: str = ""
    parts: tuple[PartResult, ...] = ()
    tests: tuple[TestResult, ...] = ()
    output: str = ""  # the grader's own log (truncated), for when something went badly wrong

    @classmethod
    def error(cls, *, lab: str, message: str, backend: str, duration_s: float = 0.0, max_score: float = 0.0) -> Results:
        """The result of a run that could not grade: it still exists, scores 0 and says why."""
        return cls(lab=lab, score=0.0, max_score=max_score, status="error", backend=backend,
                   duration_s=round(duration_s, 3), message=message)

    @property
    def exit_code(self) -> int:
        return {"passed": 0, "failed": 1, "error": 2}[self.status]

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "lab": self.lab,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.message,
            "backend": self.backend,
            "duration_s": self.duration_s,
            "execution_time": self.duration_s,
            "output": self.output,
            "visibility": "visible",
            "parts": [dataclasses.asdict(p) for p in self.parts],
            "tests": [t.to_dict(number) for number, t in enumerate(self.tests, start=1)],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"
