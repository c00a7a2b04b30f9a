"""Grading a class across many Docker hosts: Celery tasks on a Redis broker.

``grader batch LAB CLASS --broker redis://HOST:6379/0`` plans like a local batch (the same
students, cache keys and store) but sends each submission to be graded by ``grader worker``
processes, one or more per Docker host, and writes the same ``results/<student>.json`` and
``gradebook.csv`` from what they answer. The modules, one idea each:

``broker``       the Celery app, its delivery settings and the Redis connection (one place)
``blobs``        submissions as content-addressed tarballs in Redis, cached on each worker
``tasks``        the task a worker runs: check versions, fetch, grade once per cache key
``coordinator``  the batch's side: send one task per distinct submission, collect the answers
``worker``       ``grader worker`` (a Celery worker) and ``grader workers`` (Celery's inspect)

Delivery is at least once (late acks, a worker lost mid-task is requeued, Redis's visibility
timeout redelivers what a vanished host held), so a task is idempotent: its cache key - the
local batch's, a hash of the submission, the hidden suite and the grading engine - names the
grade in Redis, and a grade is stored once (first writer wins) and answered to every delivery.
"""
