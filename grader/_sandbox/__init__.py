"""What runs inside the sandbox (a grading container, or a plain process tree locally).

Three kinds of process, never mixed:

* ``supervise`` (trusted): starts services, runs pytest on the hidden suite, cleans up.
* pytest with ``plugin`` (trusted): runs the hidden tests and writes one record per test.
* ``learner_shim`` (untrusted, the learner's own user): serves the learner's app, or
  performs the function calls a test asks for and answers in JSON.

Only the standard library, pytest and httpx are used here, so the same code runs in the
grading image and on a learner's laptop.
"""
