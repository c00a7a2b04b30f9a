"""Every kept submission's expected.toml is well-formed: real parts, a bug that costs points."""

import pytest
from kept import SUBMISSIONS_DIR, kept_submissions

from grader._manifest import lab_ids


def test_expected_files_load():
    kept = kept_submissions()
    assert kept, "no kept submissions found"
    for submission in kept:
        assert submission.overlay.is_dir() and submission.bug


@pytest.mark.parametrize("lab", [lab for lab in lab_ids() if lab != "00-hello"])
def test_every_overlay_of_a_topic_lab_says_what_it_scores(lab):
    folders = sorted(p.name for p in (SUBMISSIONS_DIR / lab).iterdir() if p.is_dir())
    without = [name for name in folders if not (SUBMISSIONS_DIR / lab / name / "expected.toml").is_file()]
    assert without == [], f"overlays without expected.toml: {without}"
