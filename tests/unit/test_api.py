"""``grade()``: bad input and broken machinery become results with a reason, never an exception."""

from __future__ import annotations

import pytest

import grader._api
from grader import grade
from grader._errors import GraderError, InfrastructureError
from grader._paths import SOLUTIONS_DIR
from grader._results import BackendName, Status


class BrokenBackend:
    name = BackendName.DOCKER
    isolated = True

    def __init__(self, error: Exception):
        self.error = error

    def run(self, manifest, submission, *, on_record=None):
        raise self.error


@pytest.mark.parametrize(
    ("error", "infrastructure"),
    [(InfrastructureError("Docker failed while grading: 404"), True), (GraderError("refusing to grade"), False)],
)
def test_a_backend_that_fails_is_an_error_result_that_says_whose_fault(monkeypatch, error, infrastructure):
    monkeypatch.setattr(grader._api, "get_backend", lambda name: BrokenBackend(error))
    results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend="docker")
    assert (results.status, results.message, results.backend) == (Status.ERROR, str(error), BackendName.DOCKER)
    assert results.infrastructure_failure is infrastructure and results.max_score == 17


def test_bad_input_is_not_an_infrastructure_failure(tmp_path):
    for results in (
        grade(lab="99-nope", submission=tmp_path),
        grade(lab="00-hello", submission=tmp_path / "missing"),
        grade(lab="00-hello", submission=tmp_path, backend="carrier-pigeon"),
        grade(lab="00-hello", submission=tmp_path, parts=["nope"]),
    ):
        assert results.status is Status.ERROR and not results.infrastructure_failure, results.message
        assert results.backend is BackendName.NONE
