"""The worker: `python -m app.worker --worker-id w1 --lease 30 --poll 1`.

Loop: claim a due job, run its handler while a heartbeat thread extends the lease, then ack
(success) or fail (retry with backoff, or dead letter). SIGTERM/SIGINT: finish the running
job, then exit 0 - a deploy must not cut a job in half.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from typing import Any

from . import queue
from .config import get_settings
from .errors import PermanentError
from .handlers import HANDLERS


class Heartbeat:
    """Extends a job's lease every lease/3 seconds while the handler runs, in a thread."""

    def __init__(self, job: dict[str, Any], lease_s: float):
        self.job, self.lease_s = job, lease_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._done.wait(self.lease_s / 3):
            if not queue.heartbeat(self.job["id"], self.job["attempts"], self.lease_s):
                print(f"job {self.job['id']}: lease lost to a newer attempt", flush=True)
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


class Worker:
    def __init__(self, worker_id: str, lease_s: float, poll_s: float, backoff_base_s: float, backoff_cap_s: float):
        self.worker_id, self.lease_s, self.poll_s = worker_id, lease_s, poll_s
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.stopping = threading.Event()

    def request_stop(self, signum, _frame) -> None:
        # Only set a flag: the job in progress finishes, the loop ends before the next claim.
        print(f"{signal.Signals(signum).name}: finishing the current job, then exiting", flush=True)
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            job = queue.claim(self.worker_id, self.lease_s)
            if job is None:
                self.stopping.wait(self.poll_s)  # idle: poll again later (or wake up to stop)
                continue
            self.process(job)

    def process(self, job: dict[str, Any]) -> None:
        handler = HANDLERS.get(job["kind"])
        try:
            if handler is None:
                raise PermanentError(f"no handler for job kind {job['kind']!r}")
            with Heartbeat(job, self.lease_s):
                handler(job)
        except Exception as exc:  # a failing job must never take the worker down with it
            error = f"{type(exc).__name__}: {exc}"
            outcome = queue.fail(
                job["id"],
                job["attempts"],
                error,
                permanent=isinstance(exc, PermanentError),
                base_s=self.backoff_base_s,
                cap_s=self.backoff_cap_s,
            )
            print(f"job {job['id']} ({job['kind']}) attempt {job['attempts']} failed, {outcome}: {error}", flush=True)
        else:
            if not queue.ack(job["id"], job["attempts"]):
                print(f"job {job['id']}: done, but attempt {job['attempts']} no longer holds it", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    settings = get_settings()  # defaults from the environment (JOB_LEASE_S...), see config.py
    parser = argparse.ArgumentParser(prog="python -m app.worker", description=__doc__)
    parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}")
    parser.add_argument("--lease", type=float, default=settings.lease_s, help="lease (visibility timeout), seconds")
    parser.add_argument("--poll", type=float, default=settings.poll_s, help="wait when the queue is empty, seconds")
    parser.add_argument("--backoff-base", type=float, default=settings.backoff_base_s, help="retry backoff base, s")
    parser.add_argument("--backoff-cap", type=float, default=settings.backoff_cap_s, help="retry backoff cap, s")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    worker = Worker(args.worker_id, args.lease, args.poll, args.backoff_base, args.backoff_cap)
    # BUG: no signal handlers
    print(f"worker {args.worker_id} started", flush=True)
    worker.run()
    print(f"worker {args.worker_id} stopped", flush=True)


if __name__ == "__main__":
    main()
