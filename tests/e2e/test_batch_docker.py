"""`grader batch` in containers: a class in parallel beside a hostile student, and Ctrl-C."""

import csv
import signal
import subprocess
import sys
import time

import pytest
from containers import containers_of
from expectations import FULL, PRICING_BROKEN, ZERO

from grader import load_manifest
from grader._batch import batch
from grader._batch.run import _fair_jobs

pytestmark = pytest.mark.docker


def rows_of(summary_or_path):
    path = getattr(summary_or_path, "gradebook", summary_or_path)
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_a_class_in_parallel_containers_beside_code_that_never_returns(make_submission, tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    make_submission("00-hello", "solution").rename(root / "alice")
    make_submission("00-hello", "scaffold").rename(root / "bob")
    # first in line, so it burns its CPU while the others are graded beside it
    make_submission("00-hello", "solution", "hostile-never-returns").rename(root / "aaron")
    summary = batch(lab="00-hello", submissions=root, jobs=2, backend="docker")
    assert (summary.backend, summary.graded, summary.errors, summary.exit_code) == ("docker", 3, 0, 0)
    rows = rows_of(summary)
    for name, parts in {"aaron": PRICING_BROKEN, "alice": FULL, "bob": ZERO}.items():
        assert {part: float(rows[name][part]) for part in FULL} == parts, (name, rows[name])
    again = batch(lab="00-hello", submissions=root, jobs=2, backend="docker")
    assert (again.graded, again.cached) == (0, 3) and rows_of(again) == rows
    # the autouse fixture checks that no container is left behind


def test_ctrl_c_stops_a_batch_and_removes_its_containers(make_submission, tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for name in ("ann", "ben", "cat"):  # each keeps its container busy for a while
        make_submission("00-hello", "solution", "bad-import-hang").rename(root / name)
    out = tmp_path / "grades"
    grader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "batch",
            "00-hello",
            str(root),
            "-j",
            "2",
            "--backend",
            "docker",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    side_by_side = _fair_jobs(2, load_manifest("00-hello"), "docker", log=print)  # 1 on a 2-core host
    deadline = time.monotonic() + 60
    while len(containers_of(grader.pid)) < side_by_side and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(containers_of(grader.pid)) == side_by_side, f"{side_by_side} grading containers never ran at once"
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=60)
    assert grader.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == f"grader: interrupted; the finished results are kept in {out}", stderr
    assert containers_of(grader.pid) == []
    rows = rows_of(out / "gradebook.csv")
    assert sorted(rows) == ["ann", "ben", "cat"]
    assert {row["message"] for row in rows.values()} == {"not graded: the batch was interrupted"}
    assert not list((out / "cache").iterdir()), "nothing interrupted may be cached"
