"""The grader's entry points: one keyword-only function per command. The CLI is a thin layer."""

from __future__ import annotations

import time
from pathlib import Path

from ._backends import get_backend
from ._errors import GraderError
from ._manifest import Manifest, lab_ids, load_manifest
from ._paths import LABS_DIR, SUITES_DIR
from ._results import Results
from ._scoring import score


def labs(*, suites_dir: Path = SUITES_DIR) -> list[Manifest]:
    """Every lab that has a hidden suite, in order."""
    return [load_manifest(lab, suites_dir) for lab in lab_ids(suites_dir)]


def grade(
    *,
    lab: str,
    submission: str | Path | None = None,
    backend: str = "auto",
    suites_dir: Path | None = None,
) -> Results:
    """Grade ``submission`` (default: ``labs/<lab>``) with the lab's hidden suite.

    Never raises for bad input: a run that cannot grade returns ``Results`` with status
    ``"error"`` and a one-line ``message``.
    """
    started = time.monotonic()
    backend_name = backend
    manifest = None
    try:
        manifest = load_manifest(lab, suites_dir)
        path = Path(submission) if submission is not None else LABS_DIR / lab
        if not path.is_dir():
            raise GraderError(f"submission directory not found: {path}")
        chosen = get_backend(backend)
        backend_name = chosen.name
        run = chosen.run(manifest, path.resolve())
        return score(manifest, run, backend=backend_name, duration_s=time.monotonic() - started)
    except GraderError as exc:
        return Results.error(
            lab=lab, message=str(exc), backend=backend_name if backend_name in ("docker", "local") else "none",
            duration_s=time.monotonic() - started, max_score=manifest.max_score if manifest else 0.0,
        )
