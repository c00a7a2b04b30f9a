"""The cache key: what a student's grade depends on, hashed.

A student is graded again only when their key changed: a hash of their submission as it would be
staged (``grader._submission.tree_digest``: every file that can change a run, checked with lstat
before a byte is read), of the lab's hidden suite (manifest included), of the grading engine's
code, and the grader's version and results schema.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .._errors import GraderError
from .._manifest import Manifest
from .._paths import PACKAGE_DIR
from .._results import SCHEMA_VERSION
from .._submission import tree_digest

CACHE_FORMAT = 2  # of the cache key; bump to re-grade everything
# The code that decides a grade: a change to it re-grades (the CLI, reports and images do not).
ENGINE_PATHS = (
    "_backends",
    "_sandbox",
    "_manifest.py",
    "_results.py",
    "_scoring.py",
    "_api.py",
    "_submission.py",
    "_files.py",
    "_text.py",
    "testing.py",
)


def _grader_version() -> str:
    try:
        from importlib.metadata import version

        return version("duckshop-backend-course")
    except Exception:  # not installed: the engine's code digest still tells versions apart
        return "unknown"


def _engine_digest() -> str:
    digest = hashlib.sha256()
    for name in ENGINE_PATHS:
        path = PACKAGE_DIR / name
        files = sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(f"{file.relative_to(PACKAGE_DIR).as_posix()}\n".encode())
            digest.update(hashlib.sha256(file.read_bytes()).hexdigest().encode())
    return digest.hexdigest()


def grading_context(manifest: Manifest) -> dict[str, object]:
    """What every student's cache key shares: the grader and the lab's hidden suite."""
    suite_digest, _ = tree_digest(manifest.suite_dir)
    return {
        "format": CACHE_FORMAT,
        "schema": SCHEMA_VERSION,
        "version": _grader_version(),
        "engine": _engine_digest(),
        "lab": manifest.id,
        "suite": suite_digest,
    }


def cache_key(context: dict[str, object], submission: Path) -> str:
    """What a cached grade depends on (see the module's docstring); raises GraderError for an
    unreadable or empty submission."""
    submission_digest, files = tree_digest(submission)
    if files == 0:
        raise GraderError("the submission is empty")
    return hashlib.sha256(json.dumps({**context, "submission": submission_digest}, sort_keys=True).encode()).hexdigest()
