"""What both groups' tests share: meeting the other group (files in the private folder), and the
checks of a group's own user, scratch folder and ports."""

import os
import time
from pathlib import Path

from grader.testing import call

WAIT_S = 20


def signal_and_wait(sandbox, mine: str, theirs: str, text: str = "") -> str:
    """Say ``mine`` (with ``text``) to the other group, then wait for its ``theirs`` (fails unless
    both run at once): the other group's text."""
    folder = Path(sandbox.private_dir)
    (folder / f"{mine}.flag.tmp").write_text(text)
    (folder / f"{mine}.flag.tmp").rename(folder / f"{mine}.flag")
    deadline = time.monotonic() + WAIT_S
    while not (folder / f"{theirs}.flag").exists():
        assert time.monotonic() < deadline, f"no {theirs!r} from the other group within {WAIT_S} s"
        time.sleep(0.05)
    return (folder / f"{theirs}.flag").read_text()


def check_side_by_side(sandbox, redis_url: str, mine: str, theirs: str) -> None:
    """Both groups run at once, after the alone files' process, each with its own Redis."""
    assert (Path(sandbox.private_dir) / "alone-done.flag").exists(), "a group started before the alone files ended"
    assert sandbox.preload == ("json",), "the groups start learner processes from a spare"
    assert signal_and_wait(sandbox, mine, theirs, redis_url) != redis_url, "both groups got the same Redis"


def check_own_places(sandbox, start_app, start_learner, group: int) -> None:
    assert sandbox.group == group
    assert sandbox.scratch_dir.endswith(f"/group-{group}")
    first, _, last = os.environ["GRADER_PORTS"].partition("-")
    app = start_app()
    assert int(first) <= int(app.url.rsplit(":", 1)[1]) <= int(last), app.url
    who = call(start_learner(), "app.ids:whoami")
    assert who["home"] == sandbox.scratch_dir, who
    if sandbox.learner_uid is not None:
        assert who["uid"] == sandbox.learner_uid == 10001 + group, who
