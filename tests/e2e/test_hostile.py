"""Deliberately hostile submissions, graded in the container: each one is contained and reported.

The overlays are in tests/submissions/00-hello/ (see its README).
"""

import contextlib
import io
import json
import os
import py_compile
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from containers import containers_of
from expectations import FULL, PRICING_BROKEN, ZERO, failing_messages, part_scores
from rich.console import Console

from grader import grade, print_report, write_junit
from grader._paths import SOLUTIONS_DIR

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
    assert [(t.name, t.status, t.message) for t in hostile.tests] == [
        (t.name, t.status, t.message) for t in plain.tests
    ]
    assert part_scores(hostile) == ZERO


def test_skip_and_exit_during_tests_count_as_failures(make_submission):
    results = grade_overlay(make_submission, "scaffold", "hostile-skip-exit")
    assert part_scores(results) == ZERO
    assert all("Skipped" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")
    assert all("exited with status 0" in m for m in messages_of(results, "health")), messages_of(results, "health")


def test_memory_beyond_the_limit_fails_only_learner_code_and_always_the_same_way(make_submission):
    """Each learner process's data is limited to the sandbox's memory: one huge allocation fails at
    once in the learner's code (MemoryError), never a slow out-of-memory kill of some process."""
    results = grade_overlay(make_submission, "solution", "hostile-memory")
    assert part_scores(results) == PRICING_BROKEN
    assert all("MemoryError" in m for m in messages_of(results, "pricing")), messages_of(results, "pricing")


def test_a_fork_bomb_is_contained(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-forkbomb")
    assert part_scores(results) == PRICING_BROKEN
    assert all("did not return within 3 s" in m for m in messages_of(results, "pricing")), messages_of(
        results, "pricing"
    )


def test_code_that_never_returns_is_cut_off(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-never-returns")
    assert part_scores(results) == PRICING_BROKEN
    assert all("did not return within 3 s" in m for m in messages_of(results, "pricing")), messages_of(
        results, "pricing"
    )
    assert results.duration_s < 90
    json.loads(results.to_json())


# --- round 2 (issue 12): the host, the trusted processes, compiled code, text, odd shapes ---------


def test_a_flood_of_output_never_reaches_the_host(make_submission, tmp_path, monkeypatch):
    """64 MB to stdout and stderr from every learner process: the host's grading folders stay small."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # this run's host folders, watched alone
    submission = make_submission("00-hello", "solution", "hostile-output-flood")
    biggest, stop = [0], threading.Event()

    def size_of_files() -> int:
        """Their bytes now; the grader removes folders while we walk, and os.walk skips what went."""
        total = 0
        for folder, _, names in os.walk(scratch):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    status = os.lstat(os.path.join(folder, name))
                    total += status.st_size if stat.S_ISREG(status.st_mode) else 0
        return total

    def watch():
        while not stop.is_set():
            biggest[0] = max(biggest[0], size_of_files())
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = grade(lab="00-hello", submission=submission, backend="docker")
    finally:
        stop.set()
        watcher.join()
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)
    assert biggest[0] < 4 * 2**20, f"{biggest[0]:,} bytes reached the host"


def test_an_answer_too_large_to_read_fails_only_its_tests(make_submission):
    """20 MB from a learner function and from a route: trusted code stops reading at 16 MB, so the
    test runner's memory is safe, and the tests that asked fail with the reason."""
    results = grade_overlay(make_submission, "solution", "hostile-huge-answer")
    expected = PRICING_BROKEN | {"health": 0}  # the quote routes answer 500: the total is not an int
    assert (results.status, part_scores(results)) == ("failed", expected), failing_messages(results)
    said = {
        "pricing": "quote_total(...) answered with more than 16 MB",
        "health": "answered with more than 16 MB",  # or: the grader stopped your app (it answered with...)
    }
    for part, reason in said.items():
        assert all(reason in m for m in messages_of(results, part)), messages_of(results, part)


def test_learner_code_cannot_signal_trace_or_outrank_the_grader(make_submission):
    results = grade_overlay(make_submission, "solution", "hostile-reach-trusted")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_text_made_to_rewrite_a_terminal_is_shown_as_text(make_submission, tmp_path):
    results = grade_overlay(make_submission, "solution", "hostile-escape-text")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    shown = io.StringIO()
    print_report(results, console=Console(file=shown, force_terminal=True, width=400))
    write_junit(results, tmp_path / "junit.xml")
    ET.parse(tmp_path / "junit.xml")
    for text in (results.to_json(), shown.getvalue(), *(t.message + t.output for t in results.tests)):
        for sequence in ("\x1b[2J", "\x1b]0;", "\x1b]8;", "\x00", "\u202e", "\ud800"):
            assert sequence not in text
    assert "[bold red]FULL MARKS[/]" in shown.getvalue()


def _pyc(source: str, target: Path) -> None:
    """``source`` compiled to ``target``, valid whatever the sources beside it say (unchecked hash)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source_file = target.with_suffix(".source.py")
    source_file.write_text(source)
    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
    py_compile.compile(str(source_file), cfile=str(target), invalidation_mode=mode, doraise=True)
    source_file.unlink()


def test_compiled_files_in_a_submission_never_run(make_submission, tmp_path):
    """Bytecode beside the sources (checked against nothing) and a sourceless module are left out:
    what runs is what a reviewer reads."""
    beside = make_submission("00-hello", "solution")
    wrong = "def quote_total(unit_price_cents, quantity):\n    return 0\n"
    _pyc(wrong, beside / "app" / "__pycache__" / f"pricing.{sys.implementation.cache_tag}.pyc")
    results = grade(lab="00-hello", submission=beside, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)

    sourceless = tmp_path / "sourceless"
    shutil.copytree(SOLUTIONS_DIR / "00-hello", sourceless, ignore=shutil.ignore_patterns("__pycache__"))
    _pyc((sourceless / "app" / "pricing.py").read_text(), sourceless / "app" / "pricing.pyc")
    (sourceless / "app" / "pricing.py").unlink()
    results = grade(lab="00-hello", submission=sourceless, backend="docker")
    assert part_scores(results) == ZERO, "a module handed in only compiled does not exist"


def test_an_honest_umask_and_odd_names_are_graded_normally(make_submission):
    submission = make_submission("00-hello", "solution")
    (submission / "notes: day 1.txt").write_text("colons")
    (submission / "line\nbreak.md").write_text("newline")
    for path in [submission, *submission.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    results = grade(lab="00-hello", submission=submission, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_grader_clean_leaves_a_live_graders_container_alone(make_submission):
    submission = make_submission("00-hello", "solution")
    command = [sys.executable, "-m", "grader", "grade", "00-hello", "--submission", str(submission)]
    running = subprocess.Popen([*command, "--backend", "docker"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not containers_of(running.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert containers_of(running.pid), "the grading container never started"
    clean = subprocess.run([sys.executable, "-m", "grader", "clean"], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert running.wait(timeout=300) == 0, running.stderr.read()
