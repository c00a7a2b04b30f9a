"""The local backend: the same sandbox pipeline as the container, as plain processes.

For machines without Docker. Learner code still runs in its own processes and never shares
one with the hidden tests, but as your own user, with no network, memory or process limits:
it could read the hidden tests. Good for practice, not for grades that count.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .._manifest import Manifest
from .._progress import RecordCallback
from .._results import BackendName
from .._scoring import SandboxRun
from ._common import sandbox_config, supervise_here

WARNING = "local backend: isolation is off (no container, no network or memory limits); use Docker for real grades"


class LocalBackend:
    name = BackendName.LOCAL
    isolated = False

    def run(self, manifest: Manifest, submission: Path, *, on_record: RecordCallback | None = None) -> SandboxRun:
        with tempfile.TemporaryDirectory(prefix="grader-local-") as root:
            private, scratch = Path(root, "private"), Path(root, "scratch")
            private.mkdir(mode=0o700)
            scratch.mkdir(mode=0o700)
            cfg = sandbox_config(
                manifest,
                suite_dir=str(manifest.suite_dir),
                submission_dir=str(submission),
                private_dir=str(private),
                scratch_dir=str(scratch),
            )
            return supervise_here(cfg, private, on_record=on_record)
