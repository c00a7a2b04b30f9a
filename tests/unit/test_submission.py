"""A submission of any shape is staged as a clean, readable, source-only copy - or refused in one line."""

import os
import stat

import pytest

from grader import GraderError, _submission
from grader._submission import stage, tree_digest


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_an_honest_umask_is_normalised(tmp_path):
    source = tmp_path / "src"
    (source / "app").mkdir(parents=True)
    (source / "app" / "main.py").write_text("x = 1\n")
    (source / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(source / "app" / "main.py", 0o600)
    os.chmod(source / "run.sh", 0o700)
    os.chmod(source / "app", 0o700)
    staged = stage(source, tmp_path / "staged")
    assert (mode(staged / "app"), mode(staged / "app" / "main.py"), mode(staged / "run.sh")) == (0o755, 0o644, 0o755)
    assert (staged / "app" / "main.py").read_text() == "x = 1\n"


def test_only_sources_are_staged(tmp_path):
    source = tmp_path / "src"
    (source / "app" / "__pycache__").mkdir(parents=True)
    (source / "app" / "main.py").write_text("")
    (source / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (source / "app" / "hidden.pyc").write_bytes(b"\0")  # a sourceless module
    (source / "app" / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    staged = stage(source, tmp_path / "staged")
    assert sorted(p.name for p in (staged / "app").iterdir()) == ["main.py"]


def test_odd_names_are_kept_as_they_are(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    names = [b"with:colon.txt", b"new\nline.txt", b"latin1-\xe9.txt", b"x" * 255]
    for name in names:
        with open(os.path.join(os.fsencode(source), name), "wb") as f:
            f.write(name)
    staged = stage(source, tmp_path / "staged")
    assert sorted(os.listdir(os.fsencode(staged))) == sorted(names)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda s: (s / "link").symlink_to("/etc/passwd"), "symbolic link (link)"),
        (lambda s: os.mkfifo(s / "pipe"), "special file (pipe)"),
        (
            lambda s: os.truncate(s / "huge.bin", 10 * 2**30) if (s / "huge.bin").touch() is None else None,
            "larger than",
        ),
        (lambda s: [(s / f"f{n}").touch() for n in range(_submission.MAX_FILES + 1)], "more than"),
        (lambda s: (s.joinpath(*["d"] * (_submission.MAX_DEPTH + 2))).mkdir(parents=True), "nested more than"),
    ],
    ids=["symlink", "fifo", "sparse-10-GB", "too-many-files", "too-deep"],
)
def test_a_submission_breaking_a_rule_is_refused_in_one_line_before_anything_is_read(tmp_path, make, message):
    source = tmp_path / "src"
    source.mkdir()
    make(source)
    for action in (lambda: stage(source, tmp_path / "staged"), lambda: tree_digest(source)):
        with pytest.raises(
            GraderError, match="^the submission" if message != "special file (pipe)" else "pipe"
        ) as info:
            action()
        assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "staged").exists()


def test_the_digest_follows_what_is_staged(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.py").write_text("a")
    first, count = tree_digest(source)
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert tree_digest(source) == (first, count) == (tree_digest(stage(source, tmp_path / "staged"))[0], 1)


def test_a_hard_link_is_staged_as_a_copy_of_its_own(tmp_path):
    """A hard link is an ordinary file: the sandbox gets a copy, so nothing it does reaches the
    file the link shares its data with (here, one outside the submission)."""
    outside = tmp_path / "instructor-notes.txt"
    outside.write_text("kept\n")
    source = tmp_path / "src"
    source.mkdir()
    os.link(outside, source / "notes.txt")
    staged = stage(source, tmp_path / "staged") / "notes.txt"
    assert staged.read_text() == "kept\n"
    assert os.stat(staged).st_nlink == 1 and not os.path.samefile(staged, outside)
    staged.write_text("changed by the sandbox\n")
    assert outside.read_text() == "kept\n"
