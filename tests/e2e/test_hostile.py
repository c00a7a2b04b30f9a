"""Deliberately hostile submissions, graded in the container: each one is contained and reported.

The overlays are in tests/submissions/00-hello/ (see its README).
"""

import json

import pytest

from expectations import PRICING_BROKEN, ZERO, part_scores
from grader import grade

pytestmark = pytest.mark.docker


def grade_overlay(make_submission, base, overlay):
    return grade(lab="00-hello", submission=make_submission("00-hello", base, overlay), backend="docker")


def messages_of(results, part):
    return [t.message for t in results.tests if t.part == part]


def test_no_network(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-network")
    assert part_scores(results) == PRICING_BROKEN
    assert all("Network is unreachable" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")


def test_hidden_tests_and_grader_secrets_are_unreadable(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-read-tests")
    assert part_scores(results) == PRICING_BROKEN
    assert all("Permission denied" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")
    text = results.to_json()
    assert "LEAKED" not in text and "def test_" not in text and "GRADER_SANDBOX_CONFIG" not in text


def test_a_forged_results_file_and_exit_0_score_nothing(make_submission):
    results = grade_overlay(make_submission, "scaffold", "hostile-fake-results")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    assert all(t.status != "passed" for t in results.tests)
    http = [t.message for t in results.tests if t.part != "pricing"]
    assert all("your app could not start" in m for m in http), http


def test_conftest_pytest_ini_sitecustomize_and_pth_files_have_no_effect(make_submission):
    hostile = grade_overlay(make_submission, "scaffold", "hostile-conftest")
    plain = grade(lab="00-hello", backend="docker")
    assert [(t.name, t.status, t.message) for t in hostile.tests] == [(t.name, t.status, t.message) for t in plain.tests]
    assert part_scores(hostile) == ZERO


def test_skip_and_exit_during_tests_count_as_failures(make_submission):
    results = grade_overlay(make_submission, "scaffold", "hostile-skip-exit")
    assert part_scores(results) == ZERO
    assert all("Skipped" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")
    assert all("exited with status 0" in m for m in messages_of(results, "health")), messages_of(results, "health")


def test_memory_beyond_the_limit_kills_only_learner_code(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-memory")
    assert part_scores(results) == PRICING_BROKEN
    assert all("SIGKILL" in m and "memory" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")


def test_a_fork_bomb_is_contained(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-forkbomb")
    assert part_scores(results) == PRICING_BROKEN
    assert all("did not return within 3 s" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")


def test_code_that_never_returns_is_cut_off(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-never-returns")
    assert part_scores(results) == PRICING_BROKEN
    assert all("did not return within 3 s" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")
    assert results.duration_s < 90
    json.loads(results.to_json())
