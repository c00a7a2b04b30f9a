"""The Gradescope backend: the sandbox pipeline run in place, as root, with learner code as its
own user (uid 10001) - for Gradescope's autograder containers, where Docker is not available.

``grader._gradescope`` documents what this keeps of the container's isolation and what it cannot.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
from pathlib import Path

from .._errors import GraderError
from .._manifest import Manifest
from .._progress import RecordCallback
from .._results import BackendName
from .._scoring import SandboxRun
from .._submission import stage
from ._common import LEARNER_GID, LEARNER_UID, sandbox_config, supervise_here


class GradescopeSandbox:
    """The sandbox pipeline in place, as root, with learner code as uid 10001 (a ``Backend``)."""

    name = BackendName.GRADESCOPE

    def __init__(self, *, learner_uid: int | None = LEARNER_UID, learner_gid: int | None = LEARNER_GID):
        self.learner_uid, self.learner_gid = learner_uid, learner_gid

    @property
    def isolated(self) -> bool:
        return self.learner_uid is not None

    def run(self, manifest: Manifest, submission: Path, *, on_record: RecordCallback | None = None) -> SandboxRun:
        uid, gid = self.learner_uid, self.learner_gid
        if uid is not None and gid is not None and not _hidden_from(manifest.suite_dir, uid, gid):
            raise GraderError(
                f"refusing to grade: the learner's user could read the hidden suite ({manifest.suite_dir})"
            )
        root = Path(tempfile.mkdtemp(prefix="grader-gradescope-"))
        try:
            root.chmod(0o755)  # the learner reaches submission/ and scratch/, never private/
            private, scratch, staged = root / os.urandom(8).hex(), root / "scratch", root / "submission"
            private.mkdir(mode=0o700)
            scratch.mkdir()
            scratch.chmod(0o1777 if self.isolated else 0o700)  # sticky, like the container's /tmp
            if not submission.is_dir():
                raise GraderError(f"submission directory not found: {submission}")
            stage(submission, staged)  # checked, source only, readable by the learner, theirs to run
            cfg = sandbox_config(
                manifest,
                suite_dir=str(manifest.suite_dir),
                submission_dir=str(staged),
                private_dir=str(private),
                scratch_dir=str(scratch),
                learner_uid=self.learner_uid,
                learner_gid=self.learner_gid,
            )
            pids = manifest.limits.pids
            # Inherited by learner processes, counted per uid; root (supervisor, pytest) is exempt.
            limit = (lambda: resource.setrlimit(resource.RLIMIT_NPROC, (pids, pids))) if self.isolated else None
            return supervise_here(cfg, private, preexec_fn=limit, on_record=on_record)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _hidden_from(path: Path, uid: int, gid: int) -> bool:
    """Whether some directory on the way to ``path`` stops ``uid``/``gid`` from going through."""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == uid:
            continue
        bits = 0o010 if st.st_gid == gid else 0o001
        if not st.st_mode & bits:
            return True
    return False
