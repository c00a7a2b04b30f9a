import json

import jsonschema
import pytest

from grader import Results, TestResult
from grader._paths import SCHEMA_PATH
from grader._results import BackendName, PartResult, Status

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def validate(results: Results) -> dict:
    data = json.loads(results.to_json())
    jsonschema.validate(data, SCHEMA)
    return data


def example() -> Results:
    return Results(
        lab="00-hello",
        title="Hello",
        score=1,
        max_score=2,
        status=Status.FAILED,
        backend=BackendName.DOCKER,
        duration_s=1.5,
        message="1 of 2 tests passed",
        parts=(PartResult("health", "Health", 1, 2),),
        tests=(
            TestResult("t.py::a", "health", 1, 1, Status.PASSED, hint="h"),
            TestResult("t.py::b", "health", 0, 1, Status.FAILED, "expected 200", "h", "trace"),
        ),
    )


def test_results_validate_against_the_schema():
    data = validate(example())
    assert data["execution_time"] == data["duration_s"] == 1.5
    assert [t["number"] for t in data["tests"]] == ["1", "2"]
    assert data["tests"][1]["tags"] == ["health"]


def test_an_error_result_is_valid_and_scores_zero():
    data = validate(Results.error(lab="nope", message="unknown lab 'nope'", backend="none"))
    assert (data["status"], data["score"], data["tests"]) == ("error", 0, [])


def test_the_schema_rejects_what_it_should():
    data = json.loads(example().to_json())
    for broken in ({**data, "status": "great"}, {**data, "score": -1}, {k: v for k, v in data.items() if k != "lab"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_exit_codes():
    assert [Results.error(lab="x", message="m", backend="none").exit_code, example().exit_code] == [2, 1]


def test_from_dict_reads_back_what_to_dict_wrote():
    for results in (example(), Results.error(lab="x", message="m", infrastructure_failure=True)):
        again = Results.from_dict(json.loads(results.to_json()))
        assert again == results
        assert again.status is results.status and again.backend is results.backend


def test_from_dict_refuses_another_schema_version():
    data = example().to_dict() | {"schema_version": 99}
    with pytest.raises(ValueError, match="schema_version"):
        Results.from_dict(data)


def test_statuses_and_backends_are_enums_that_equal_their_json_strings():
    results = example()
    assert results.status is Status.FAILED and results.status == "failed" and results.backend is BackendName.DOCKER
    assert [t.status for t in results.tests] == [Status.PASSED, Status.FAILED]
    with pytest.raises(ValueError):
        Results.error(lab="x", message="m", backend="carrier-pigeon")
