"""Progress while a suite runs: the sandbox's records, read as they are written, as test events.

The runner writes one fsynced record per test as soon as it ends (``_sandbox.plugin``). A backend
follows that file (``follow_records``) and hands each record to a ``Tracker``, which turns records
into ``Progress`` events about the manifest's tests: how many are done, of how many, in which part.
Displays (the CLI's progress bar, ``grader.check`` in a notebook) subscribe to the events; a display
that fails never stops the grading.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._manifest import Manifest

POLL_S = 0.2


@dataclasses.dataclass(frozen=True)
class Progress:
    done: int  # tests of the manifest finished (every collected case of each has a record)
    total: int  # tests of the manifest (of the parts being graded)
    part: str  # the id of the part the last finished test belongs to ("" before any)
    test: str  # that test's name ("" before any)
    passed: bool | None  # whether it passed (None before any)
    part_done: int = 0  # tests of that part finished, of ``part_total``, ``part_passed`` passed
    part_total: int = 0
    part_passed: int = 0


ProgressCallback = Callable[[Progress], object]
RecordCallback = Callable[[dict[str, Any]], None]


class Tracker:
    """Records in, ``Progress`` out: a manifest test is done once each case collected for it has a record."""

    def __init__(self, manifest: Manifest, callback: ProgressCallback):
        self._tests = [(part.id, spec) for part, spec in manifest.tests]
        self._callback = callback
        self._collected: dict[object, list[str]] = {}  # by test group (each pytest process collects its own)
        self._outcomes: dict[str, str] = {}
        self._done: set[str] = set()
        self._passed: set[str] = set()
        self._lock = threading.Lock()
        self._emit(Progress(done=0, total=len(self._tests), part="", test="", passed=None))

    def feed(self, record: dict[str, Any]) -> None:
        with self._lock:
            if record.get("event") == "collected":
                self._collected[record.get("group", 0)] = [str(n) for n in record.get("nodeids", [])]
            elif "nodeid" in record:
                self._outcomes[str(record["nodeid"])] = str(record.get("outcome", ""))
            for part_id, spec in self._tests:
                if spec.name in self._done:
                    continue
                cases = [n for nodeids in self._collected.values() for n in nodeids if spec.matches(n)] or [spec.name]
                outcomes = [self._outcomes.get(n) for n in cases]
                if any(o is None for o in outcomes):
                    continue
                self._done.add(spec.name)
                passed = all(o == "passed" for o in outcomes)
                if passed:
                    self._passed.add(spec.name)
                mine = [s.name for p, s in self._tests if p == part_id]
                self._emit(
                    Progress(
                        len(self._done),
                        len(self._tests),
                        part_id,
                        spec.name,
                        passed,
                        part_done=sum(name in self._done for name in mine),
                        part_total=len(mine),
                        part_passed=sum(name in self._passed for name in mine),
                    )
                )

    def _emit(self, progress: Progress) -> None:
        with contextlib.suppress(Exception):  # a broken display must not break the grading
            self._callback(progress)


@contextlib.contextmanager
def follow_records(path: Path, on_record: RecordCallback | None) -> Iterator[None]:
    """While the block runs, hand every complete line appended to ``path`` to ``on_record``."""
    if on_record is None:
        yield
        return
    stop = threading.Event()

    def follow() -> None:
        offset, pending = 0, b""
        while True:
            stopping = stop.wait(POLL_S)
            try:
                with open(path, "rb") as records:
                    records.seek(offset)
                    chunk = records.read(1 << 20)
            except OSError:
                chunk = b""
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if isinstance(record, dict):
                        on_record(record)
            if stopping and not chunk:
                return

    follower = threading.Thread(target=follow, name="grader-progress", daemon=True)
    follower.start()
    try:
        yield
    finally:
        stop.set()
        follower.join(timeout=5)
