"""Grading a whole class: one submission per student, in parallel, re-runnable without re-grading.

The submissions directory holds one folder per student (its name is the student id); the
submission is that folder, or ``<student>/<subdir>``. Hidden entries are ignored. The outputs::

    <out>/gradebook.csv            one row per student, rebuilt on every run
    <out>/results/<student>.json   that student's results (the schema of ``grader grade --json``)
    <out>/cache/<student>.key      the cache key the results were graded under (final results only)

``out`` defaults to ``grades-<lab>`` beside the submissions directory.

A student is graded again only when their cache key changed: a hash of their submission (relative
paths and bytes, without caches: ``grader._files.is_junk``), of the lab's hidden
suite (manifest included), of the grading engine's code, and the grader's version and results
schema. Only *graded* results (status ``passed`` or ``failed``) are final and cached; a result that
could not grade (status ``error``: Docker unavailable, an image missing, a run that produced no
test at all...) or whose run Docker broke off is stored for reading but graded again next time.

Every student is graded by the same backend: ``auto`` is resolved once, before the first one.
A cached grade made without isolation (the local backend) is redone when the batch runs on Docker.
Each grading runs in its own container (or local sandbox) from a thread pool. A problem with one
student - an empty folder, a file, a symlink out of the class, an exception in the grader - is
that student's error row and nothing more. Ctrl-C (KeyboardInterrupt in the main thread) cancels
what has not started, stops what runs (removes this process's containers, stops local sandboxes),
writes the gradebook of what finished, and raises ``BatchInterrupted``.

The modules, one idea each: ``run`` (``batch()``: the plan, the thread pool, Ctrl-C), ``students``
(which folder is whose submission), ``cache`` (the cache key), ``store`` (results and keys on disk,
read back), ``gradebook`` (a row per student, the CSV), ``stop`` (stopping what runs after Ctrl-C).
"""

from .gradebook import StudentResult
from .run import BatchInterrupted, BatchSummary, batch, default_out

__all__ = ["BatchInterrupted", "BatchSummary", "StudentResult", "batch", "default_out"]
