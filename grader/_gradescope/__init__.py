"""Gradescope: export a lab's hidden suite as an autograder zip, and grade inside Gradescope.

``export_gradescope(lab=..., out=...)`` writes a deterministic zip (sorted entries, fixed
timestamps, normalised modes) holding ``setup.sh``, ``run_autograder``, ``requirements.txt``
(the grading image's pins), a ``README.md``, and the ``grader`` package with ONLY that lab's
hidden suite (no other lab's suite, no solutions, no scaffold, no ``__pycache__``, no image
build context). Gradescope unpacks it to ``/autograder/source``, runs ``setup.sh`` once as root
(network on), then ``run_autograder`` as root for every submission.

``run_autograder`` calls ``python -m grader._gradescope --lab LAB``, i.e. :func:`run_autograder`
(``run.py``): the same sandbox pipeline as the Docker backend, run in place by
``grader._backends.gradescope.GradescopeSandbox``. The supervisor
(``grader._sandbox.supervise``) runs as root, and learner code runs as uid/gid 10001, exactly
as in the grading container:

- the hidden suite stays in ``/autograder/source`` (made 0700 by ``setup.sh`` and again before
  every run; grading refuses to start if the learner's user could reach the suite);
- the submission is copied (symlinks kept as links, never followed) to a root-owned,
  read-only-for-the-learner directory, so learner code cannot change it or smuggle a link to
  the suite through the copy;
- records, logs and pid files are in a fresh 0700 directory with a random name; the results
  file is written by the trusted process only, after every learner process is killed, and
  replaces whatever was at that path;
- learner processes get ``RLIMIT_NPROC`` = the manifest's ``pids`` limit (root is exempt), so a
  fork bomb is contained; ``nice`` and the per-test and whole-run timeouts apply as usual;
- scores come from the runner's own per-test records via :func:`grader._scoring.score`, the
  same code as every other backend.

What it cannot do without the container's privileges (Gradescope gives none to create
namespaces or cgroups): **the network cannot be cut** (learner code can open connections; it
can only send what its own user can read), memory and CPU are limited only by Gradescope's own
container limits (set them in the assignment's autograder settings), and the root filesystem is
not read-only (learner code can write where uid 10001 may, e.g. ``/tmp``). Learner code can
also see the supervisor's command line in ``/proc`` (paths, no secrets). For grades that count
on Gradescope, this is defence in depth, not the container's guarantees.

``export.py`` builds the zip; its shell scripts and README are the templates in ``templates/``.
``GRADESCOPE_ROOT`` overrides ``/autograder`` (for tests), ``GRADESCOPE_PYTHON`` the interpreter
``run_autograder`` starts (default: the venv ``setup.sh`` creates), ``GRADESCOPE_LEARNER_UID`` the
learner's uid and gid (tests: the sandbox kills every process of that uid, so a machine that
also runs grading containers needs another one). Run as a non-root user,
grading still works but without the separate learner user (it says so in its output).
"""

from .export import export_gradescope
from .run import gradescope_results, run_autograder

__all__ = ["export_gradescope", "gradescope_results", "run_autograder"]
