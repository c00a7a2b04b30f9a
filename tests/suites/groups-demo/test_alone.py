import time
from pathlib import Path


def test_the_alone_files_run_first_by_themselves(sandbox, start_app):
    """Group 0, before any group starts, and without a spare's imports beside it (no preload)."""
    assert sandbox.group == 0 and sandbox.preload == ()
    if sandbox.learner_uid is not None:
        assert sandbox.learner_uid == 10001
    start_app()  # a start without a spare
    time.sleep(0.5)  # time for a group that started too early to say so
    folder = Path(sandbox.private_dir)
    assert not list(folder.glob("*.flag")), "a group ran beside the alone files"
    (folder / "alone-done.flag").touch()
