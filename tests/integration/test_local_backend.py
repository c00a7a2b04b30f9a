"""The whole pipeline without a container: solution, scaffold, bad input, the CLI."""

import json
import subprocess
import sys
import time

import jsonschema
import pytest
from expectations import BAD_INPUT, FULL, ZERO, failing_messages, part_scores

from grader import grade
from grader._paths import SCHEMA_PATH, SOLUTIONS_DIR


def test_the_solution_gets_full_marks():
    results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend="local")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_the_untouched_scaffold_scores_zero_quickly():
    started = time.monotonic()
    results = grade(lab="00-hello", backend="local")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    assert all(t.status == "failed" for t in results.tests), (
        "the scaffold fails on asserts, never on timeouts or errors"
    )
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("overlay", sorted(BAD_INPUT))
def test_bad_input_gets_a_message_and_a_valid_result(make_submission, overlay):
    parts, phrase = BAD_INPUT[overlay]
    results = grade(lab="00-hello", submission=make_submission("00-hello", "solution", overlay), backend="local")
    assert (results.status, part_scores(results)) == ("failed", parts)
    assert all(phrase in message for message in failing_messages(results)), failing_messages(results)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["grade", "99-nope"], "grader: unknown lab '99-nope' (known labs: "),
        (["grade", "00-hello", "--submission", "/no/such/dir"], "grader: submission directory not found: /no/such/dir"),
        (["grade", "00-hello", "--backend", "carrier-pigeon"], "grader: unknown backend 'carrier-pigeon'"),
    ],
)
def test_the_cli_cannot_grade_with_one_line_exit_2_and_a_valid_json(tmp_path, args, message):
    result = run_cli(*args, "--json", str(tmp_path / "r.json"))
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert (data["status"], data["score"]) == ("error", 0)


def test_the_cli_exit_status_and_outputs(tmp_path):
    full = run_cli(
        "grade",
        "00-hello",
        "--submission",
        str(SOLUTIONS_DIR / "00-hello"),
        "--backend",
        "local",
        "--json",
        str(tmp_path / "full.json"),
        "--junit",
        str(tmp_path / "full.xml"),
    )
    assert full.returncode == 0, full.stdout + full.stderr
    assert "Full marks" in full.stdout and "isolation is off" in full.stdout
    jsonschema.validate(json.loads((tmp_path / "full.json").read_text()), json.loads(SCHEMA_PATH.read_text()))
    assert (tmp_path / "full.xml").read_text().count("<testcase") == 17
    assert run_cli("grade", "00-hello", "--backend", "local").returncode == 1


def test_grader_labs_lists_parts_and_points():
    result = run_cli("labs")
    assert result.returncode == 0
    assert "00-hello" in result.stdout and "17 points" in result.stdout and "validation" in result.stdout


def test_grading_one_part_runs_only_its_tests_and_says_so():
    results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend="local", parts=["pricing"])
    assert (results.status, results.partial, part_scores(results)) == ("passed", True, {"pricing": 6})
    assert {t.part for t in results.tests} == {"pricing"}
    jsonschema.validate(json.loads(results.to_json()), json.loads(SCHEMA_PATH.read_text()))
