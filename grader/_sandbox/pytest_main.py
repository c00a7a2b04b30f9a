"""``python -m grader._sandbox.pytest_main ARGS...``: pytest, once the first spare has started.

The spare (a learner process that imports the lab's ``preload``: ``processes.start_spare``) then
imports FastAPI and the like on the other core while pytest itself imports and collects, so the
first app of the run starts warm too. Without a preload this is plain ``python -m pytest``.
"""

from __future__ import annotations

import contextlib
import sys

from . import processes
from .config import SandboxConfig


def main() -> int:
    with contextlib.suppress(OSError):  # without it the first start is cold, as it would be anyway
        processes.start_spare(SandboxConfig.from_env())
    import pytest

    return pytest.console_main()


if __name__ == "__main__":
    sys.exit(main())
