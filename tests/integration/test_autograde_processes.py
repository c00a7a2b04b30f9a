"""``grader autograde`` stops cleanly: SIGINT reaches every running nbgrader, so that nbgrader and
the grader remove their containers, and no nbgrader starts after a stop; bad input on the command
line is one line, exit status 2, and leaves nothing behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

from grader._autograde import _course, _Workers

ASSIGNMENT = "lesson"


def test_a_stop_interrupts_running_nbgraders_and_starts_no_more(tmp_path):
    """SIGINT reaches a running nbgrader (so it and the grader remove their containers); none starts after."""
    course, ready = tmp_path / "course", tmp_path / "ready"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "gradebook.db").touch()
    # A stand-in for nbgrader, run as `python -m standin` in the course folder (as nbgrader would be).
    (course / "standin.py").write_text(
        "import pathlib, time\n"
        "try:\n"  # ready only inside the try: a SIGINT right after it must still be handled
        f"    pathlib.Path({str(ready)!r}).touch()\n"
        "    time.sleep(60)\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaned up')\n"
    )
    workers, results = _Workers(module="standin"), {}
    course_ = _course(course)
    thread = threading.Thread(
        target=lambda: results.update(alice=workers.autograde(course_, ASSIGNMENT, "alice", tmp_path / "a.db", []))
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    workers.stop()
    thread.join(30)
    assert results["alice"] == (0, "cleaned up\n") and time.monotonic() - started < 30
    assert workers.autograde(course_, ASSIGNMENT, "bob", tmp_path / "b.db", []) == (None, "")


def test_bad_input_on_the_command_line_is_one_line_and_leaves_nothing(tmp_path):
    course = tmp_path / "course"
    (course / "submitted" / "alice" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    with sqlite3.connect(course / "gradebook.db") as db:
        db.execute("CREATE TABLE assignment (name TEXT)")
        db.execute("INSERT INTO assignment VALUES (?)", (ASSIGNMENT,))
    db.close()
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for args, message in [
        (["nope"], "grader: unknown assignment 'nope': the gradebook has lesson"),
        ([ASSIGNMENT, "--student", "bob"], "grader: no submission of lesson by bob in "),
        ([ASSIGNMENT, "--jobs", "0"], "grader: --jobs is how many students are autograded at a time"),
        ([ASSIGNMENT, "--course-dir", str(tmp_path)], f"grader: {tmp_path} is not an nbgrader course"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "grader", "autograde", *args], cwd=course, capture_output=True, text=True, env=env
        )
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course"]
