"""`grader batch` on the local backend: a small Lab 00 class, graded, re-run, one student changed."""

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from expectations import APP_BROKEN, FULL, ZERO

from grader._batch import batch

CLASS = {  # student: (base, overlay, expected part scores)
    "alice": ("solution", None, FULL),
    "bob": ("scaffold", None, ZERO),
    "mallory": ("scaffold", "hostile-fake-results", ZERO),
    "zed": ("solution", "bad-syntax", APP_BROKEN),
}


@pytest.fixture(autouse=True)
def _no_forgeries_left_in_tmp():
    """mallory's forgeries land in the host's /tmp too: the local backend does not isolate learner
    code (it runs as this user). Remove those the test made, and only those."""
    forged = [Path("/tmp", name) for name in ("records.jsonl", "results.json")]
    there = {path for path in forged if path.exists()}
    yield
    for path in set(forged) - there:
        path.unlink(missing_ok=True)


def make_class(make_submission, tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for name, (base, overlay, _) in CLASS.items():
        make_submission("00-hello", base, overlay).rename(root / name)
    (root / "nobody").mkdir()  # an empty folder: an error row, not a stopped batch
    return root


def rows_of(summary):
    with open(summary.gradebook, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_a_class_graded_rerun_and_one_submission_changed(make_submission, tmp_path):
    root = make_class(make_submission, tmp_path)
    first = batch(lab="00-hello", submissions=root, jobs=2, backend="local")
    assert (first.graded, first.cached, first.errors, first.exit_code) == (4, 0, 1, 2)
    rows = rows_of(first)
    for name, (_, _, parts) in CLASS.items():
        assert {part: float(rows[name][part]) for part in FULL} == parts, (name, rows[name])
        assert float(rows[name]["score"]) == sum(parts.values()) and rows[name]["max_score"] == "17"
    assert [rows[name]["status"] for name in sorted(CLASS)] == ["passed", "failed", "failed", "failed"]
    assert (rows["nobody"]["status"], rows["nobody"]["message"]) == ("error", "the submission is empty")

    again = batch(lab="00-hello", submissions=root, jobs=2, backend="local")
    # Even without a container, mallory's code wrote its forged files into a staged copy, never
    # into its own folder: nothing changed, so nothing is graded again.
    assert [s.student for s in again.students if s.status != "error" and not s.cached] == []
    assert not (root / "mallory" / "records.jsonl").exists()
    assert rows_of(again) == rows

    shutil.copytree(root / "alice" / "app", root / "bob" / "app", dirs_exist_ok=True)  # bob finished the lab
    third = batch(lab="00-hello", submissions=root, jobs=2, backend="local")
    assert [s.student for s in third.students if s.status != "error" and not s.cached] == ["bob"]
    assert third.cached == 3
    changed = rows_of(third)
    assert changed["bob"]["status"] == "passed" and changed["bob"]["score"] == "17"
    assert {k: v for k, v in changed.items() if k != "bob"} == {k: v for k, v in rows.items() if k != "bob"}


def test_the_cli_reruns_from_the_cache(make_submission, tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    make_submission("00-hello", "solution").rename(root / "alice")
    command = [
        sys.executable,
        "-m",
        "grader",
        "batch",
        "00-hello",
        str(root),
        "--backend",
        "local",
        "--out",
        str(tmp_path / "grades"),
        "-j",
        "1",
    ]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "1 students - 1 graded, 0 unchanged" in first.stdout and "isolation is off" in first.stderr
    second = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "0 graded, 1 unchanged" in second.stdout, second.stdout + second.stderr
    assert (tmp_path / "grades" / "gradebook.csv").read_text().splitlines()[
        1
    ] == "alice,passed,17,17,3,4,4,6,17 of 17 tests passed"
    (root / "alice" / "app" / "main.py").write_text("this is not python")
    broken = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert broken.returncode == 0 and "1 graded, 0 unchanged" in broken.stdout, broken.stdout + broken.stderr
    (root / "stray.txt").write_text("")
    stray = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert stray.returncode == 2 and "grader: stray.txt: not a folder" in stray.stderr, stray.stderr


def processes_mentioning(text):
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            pass
    return found


def test_ctrl_c_stops_the_local_sandboxes_too(make_submission, tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for name in ("ann", "ben", "cat"):  # each one's app never finishes importing
        make_submission("00-hello", "solution", "bad-import-hang").rename(root / name)
    grader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "batch",
            "00-hello",
            str(root),
            "--backend",
            "local",
            "--out",
            str(tmp_path / "grades"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(processes_mentioning(str(root))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(root)), "no learner process ever started"
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=60)
    assert grader.returncode == 130 and "grader: interrupted" in stderr, stderr
    time.sleep(0.5)
    assert processes_mentioning(str(root)) == []
    assert "not graded: the batch was interrupted" in (tmp_path / "grades" / "gradebook.csv").read_text()
