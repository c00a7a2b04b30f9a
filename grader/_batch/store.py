"""One batch's storage: ``results/<stem>.json``, ``cache/<stem>.key`` and ``logs/<stem>.log``
(the sandbox's log, for instructors only), and reading them back.

A student id is a folder name of any characters; ``file_stem`` turns it into a file name no other
id shares. Only final results get a key (``is_final``); any other result is stored for reading and
graded again next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

from .._files import write_atomically
from .._manifest import Manifest
from .._results import BackendName, Results
from .gradebook import StudentResult

_PLAIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_HASHED = re.compile(r".*-[0-9a-f]{16}")


def file_stem(student: str) -> str:
    """The id itself when it is plain (lower-case letters, digits, ".", "_", "-"), else a readable
    part and a hash of the whole id: two ids never share a file, not even on a case-insensitive
    disk, and no id can take the name another id's hash gives."""
    if _PLAIN.fullmatch(student) and not _HASHED.fullmatch(student):
        return student
    readable = re.sub(r"[^a-z0-9._-]+", "-", student.lower()).strip("-.")[:60] or "student"
    return f"{readable}-{hashlib.sha256(os.fsencode(student)).hexdigest()[:16]}"


def is_final(results: Results) -> bool:
    """Whether a result may be cached: graded, and not a failure of the grading machinery."""
    return results.status.graded and not results.infrastructure_failure


@dataclasses.dataclass(frozen=True)
class Store:
    manifest: Manifest
    backend: str  # what grades this batch: a cached grade made without isolation is redone by docker
    results_dir: Path
    cache_dir: Path
    logs_dir: Path

    def _paths(self, student: str) -> tuple[Path, Path]:
        stem = file_stem(student)
        return self.results_dir / f"{stem}.json", self.cache_dir / f"{stem}.key"

    def cached(self, student: str, key: str) -> StudentResult | None:
        """The stored result, if it is final, graded under ``key`` and by a suitable backend."""
        results_path, key_path = self._paths(student)
        try:
            if key_path.read_text().strip() != key:
                return None
            results = Results.from_dict(json.loads(results_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, or not results this grader wrote: grade again
        if not is_final(results) or results.lab != self.manifest.id:
            return None
        if self.backend == BackendName.DOCKER and results.backend is not BackendName.DOCKER:
            return None  # a grade without isolation is redone once Docker grades the class
        return StudentResult.of(student, results, cached=True, results_path=results_path)

    def save(self, student: str, results: Results, *, key: str | None) -> StudentResult:
        """Write the results, then (final ones only) the key that makes them a cache hit."""
        results_path, key_path = self._paths(student)
        key_path.unlink(missing_ok=True)
        write_atomically(self.logs_dir / f"{file_stem(student)}.log", results.log)
        write_atomically(results_path, results.to_json())
        if key is not None and is_final(results):
            write_atomically(key_path, key + "\n")
        return StudentResult.of(student, results, results_path=results_path)
