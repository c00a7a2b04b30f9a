"""The worker: `python -m app.worker --worker-id w1 --lease 30 --poll 1`.

Loop: claim a due job, run its handler while a heartbeat thread extends the lease, then ack
(success) or fail (retry with backoff, or dead letter). SIGTERM/SIGINT: finish the running
job, then exit 0 - a deploy must not cut a job in half.
"""

from __future__ import annotations

import argparse
import os
import signal  # noqa: F401
import socket
import threading
from typing import Any

from . import queue  # noqa: F401
from .config import get_settings
from .errors import PermanentError  # noqa: F401
from .handlers import HANDLERS  # noqa: F401


class Heartbeat:
    """Extends a job's lease every lease/3 seconds while the handler runs, in a thread.

    Use it as `with Heartbeat(job, lease_s): handler(job)`.
    """

    def __init__(self, job: dict[str, Any], lease_s: float):
        self.job, self.lease_s = job, lease_s

    def __enter__(self) -> Heartbeat:
        raise NotImplementedError("TODO: start a thread calling queue.heartbeat() every lease/3 s (README, R21)")

    def __exit__(self, *exc) -> None:
        raise NotImplementedError("TODO: stop the heartbeat thread and wait for it (README, R21)")


class Worker:
    def __init__(self, worker_id: str, lease_s: float, poll_s: float, backoff_base_s: float, backoff_cap_s: float):
        self.worker_id, self.lease_s, self.poll_s = worker_id, lease_s, poll_s
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.stopping = threading.Event()

    def request_stop(self, signum, _frame) -> None:
        """The SIGTERM/SIGINT handler."""
        raise NotImplementedError("TODO: ask the loop to stop after the current job (README, R25)")

    def run(self) -> None:
        """Claim and process jobs until asked to stop; wait poll_s only when nothing is due."""
        raise NotImplementedError("TODO: the worker loop (README, R20, R24)")

    def process(self, job: dict[str, Any]) -> None:
        """Run the job's handler (HANDLERS[job["kind"]]) under a heartbeat; ack or fail it."""
        raise NotImplementedError("TODO: run the handler, then queue.ack() or queue.fail() (README, R20-R23)")


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
    # TODO: on SIGTERM and SIGINT call worker.request_stop (signal.signal) - README, R25
    print(f"worker {args.worker_id} started", flush=True)
    worker.run()
    print(f"worker {args.worker_id} stopped", flush=True)


if __name__ == "__main__":
    main()
