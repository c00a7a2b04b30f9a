"""A test hook: die at the worst possible moment, the way a server does when it is OOM-killed.

With CRASH_AFTER_PROVIDER_CHARGE=1 in the environment, ``crash_point("after_provider_charge")``
ends the process at once - no exception handler, no commit, no response. The grader uses it to
check that a retry after the restart still charges exactly once. Don't change this file.
"""

import os


def crash_point(name: str) -> None:
    if os.environ.get(f"CRASH_{name.upper()}") == "1":
        os._exit(70)
