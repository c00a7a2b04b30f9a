"""The reaper (grader._sandbox.processes): a kill request it does not answer in time never runs later.

A late ``kill(-1, 9)`` would kill whatever learner processes the next test had started since - a
correct app killed mid-request, seen as "killed (SIGKILL)" on a loaded machine - so a reaper that
does not answer is killed itself, and the next kill_all starts a new one.
"""

from __future__ import annotations

import subprocess
import sys

from grader._sandbox.processes import _Reaper

ANSWERS = "import sys\nfor _ in sys.stdin:\n    print('done', flush=True)\n"
NEVER_ANSWERS = "import sys, time\nsys.stdin.readline()\ntime.sleep(60)\n"


def reaper(source: str) -> _Reaper:
    """A reaper running ``source`` as this user (the real one runs as the learner's)."""
    made = _Reaper.__new__(_Reaper)
    made.process = subprocess.Popen(
        [sys.executable, "-c", source], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    return made


def test_an_answering_reaper_stays():
    made = reaper(ANSWERS)
    try:
        assert made.kill_everything() and made.kill_everything()
        assert made.process.poll() is None
    finally:
        made.process.kill()
        made.process.wait()


def test_a_reaper_that_does_not_answer_in_time_is_killed(monkeypatch):
    monkeypatch.setattr(_Reaper, "ANSWER_S", 0.3)
    made = reaper(NEVER_ANSWERS)
    assert made.kill_everything() is False
    assert made.process.poll() is not None, "its pending request could still run later"
