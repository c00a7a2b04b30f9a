"""Which folder is whose submission: one entry per student, symlinks kept inside the class."""

from __future__ import annotations

from pathlib import Path

from .._errors import GraderError


def student_entries(root: Path, *, exclude: Path) -> list[tuple[str, Path]]:
    entries = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry == exclude:
            continue
        entries.append((entry.name, entry))
    return entries


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def submission_of(root: Path, entry: Path, subdir: str | None) -> Path:
    """The resolved submission folder of one student entry, or a one-line GraderError."""
    if entry.is_symlink() and entry.exists():
        target = entry.resolve()
        if not _inside(target, root) or target == root:
            raise GraderError("the student's folder is a symlink to outside the submissions directory")
    if not entry.is_dir():
        kind = "a broken symlink" if entry.is_symlink() and not entry.exists() else "not a folder"
        raise GraderError(f"{kind}: a submission is a folder named by the student id")
    student_dir = entry.resolve()
    submission = student_dir
    if subdir is not None:
        candidate = student_dir / subdir
        if not candidate.is_dir():
            raise GraderError(f"no {subdir}/ folder in the student's folder")
        submission = candidate.resolve()
        if not _inside(submission, student_dir):
            raise GraderError(f"{subdir}/ is a symlink to outside the student's folder")
    return submission
