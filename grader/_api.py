"""The grader's entry points: one keyword-only function per command. The CLI is a thin layer."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ._backends import BackendChoice, get_backend
from ._errors import GraderError, InfrastructureError
from ._manifest import Manifest, lab_ids, load_manifest
from ._paths import LABS_DIR, SUITES_DIR
from ._progress import ProgressCallback, Tracker
from ._results import BackendName, Results
from ._scoring import score
from ._submission import stage


def labs(*, suites_dir: Path = SUITES_DIR) -> list[Manifest]:
    """Every lab that has a hidden suite, in order."""
    return [load_manifest(lab, suites_dir) for lab in lab_ids(suites_dir)]


def grade(
    *,
    lab: str,
    submission: str | Path | None = None,
    backend: BackendChoice | str = BackendChoice.AUTO,
    suites_dir: Path | None = None,
    parts: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> Results:
    """Grade ``submission`` (default: ``labs/<lab>``) with the lab's hidden suite, or with only
    the tests of ``parts`` (part ids; the results are then marked ``partial``). ``progress``
    receives a ``Progress`` event as each test finishes (and one at the start).

    Never raises for bad input: a run that cannot grade returns ``Results`` with status
    ``"error"`` and a one-line ``message``; ``infrastructure_failure`` says when the grading
    machinery (Docker, the image), not the request or the submission, is why.
    """
    started = time.monotonic()
    backend_name = BackendName.NONE
    manifest = None
    try:
        manifest = load_manifest(lab, suites_dir)
        if parts:
            manifest = manifest.select(parts)
        path = Path(submission) if submission is not None else LABS_DIR / lab
        if not path.is_dir():
            raise GraderError(f"submission directory not found: {path}")
        chosen = get_backend(backend)
        backend_name = chosen.name
        with tempfile.TemporaryDirectory(prefix="grader-submission-") as staging:
            # The sandbox sees a checked, source-only copy with normal modes (``_submission``).
            staged = stage(path.resolve(), Path(staging) / "submission")
            tracker = Tracker(manifest, progress) if progress else None
            run = chosen.run(manifest, staged, on_record=tracker.feed if tracker else None)
        return score(manifest, run, backend=backend_name, duration_s=time.monotonic() - started)
    except GraderError as exc:
        return Results.error(
            lab=lab,
            message=str(exc),
            backend=backend_name,
            duration_s=time.monotonic() - started,
            max_score=manifest.max_score if manifest else 0.0,
            infrastructure_failure=isinstance(exc, InfrastructureError),
        )
