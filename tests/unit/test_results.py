import json

import jsonschema
import pytest

from grader import Results, TestResult
from grader._paths import SCHEMA_PATH
from grader._results import PartResult

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def validate(results: Results) -> dict:
    data = json.loads(results.to_json())
    jsonschema.validate(data, SCHEMA)
    return data


def example() -> Results:
    return Results(
        lab="00-hello", title="Hello", score=1, max_score=2, status="failed", backend="docker", duration_s=1.5,
        message="1 of 2 tests passed", parts=(PartResult("health", "Health", 1, 2),),
        tests=(TestResult("t.py::a", "health", 1, 1, "passed", hint="h"),
               TestResult("t.py::b", "health", 0, 1, "failed", "expected 200", "h", "trace")),
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
