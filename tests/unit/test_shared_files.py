"""Files that must stay the same in several places (a provided fake in the scaffold, the solution
and the hidden suite; a copy of the model answer the suite times learner code against) are
listed here, and a test fails as soon as one copy drifts. The hidden suite's copy is what grades:
when copies differ, make the others match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader._paths import REPO_ROOT

# What the copies are, and their paths (files, or folders compared file by file) from the repo root.
SHARED: dict[str, tuple[str, ...]] = {
    "Lab 03's model answer, the suite's reference workers": (
        "solutions/03-background-jobs/app",
        "grader/suites/03-background-jobs/_reference/app",
    ),
    **{
        f"Lab 03's given app/{name}": (
            f"labs/03-background-jobs/app/{name}",
            f"solutions/03-background-jobs/app/{name}",
        )
        for name in ("config.py", "db.py", "errors.py", "mail.py", "models.py")
    },
    "Lab 04's fake payment provider": (
        "grader/suites/04-idempotency/_provider.py",
        "labs/04-idempotency/provider/app.py",
        "solutions/04-idempotency/provider/app.py",
    ),
    "Lab 04's provider package": ("labs/04-idempotency/provider", "solutions/04-idempotency/provider"),
    "Lab 04's provided core (settings, problems, crash hook)": (
        "labs/04-idempotency/app/core",
        "solutions/04-idempotency/app/core",
    ),
    "Lab 04's provided database engine": ("labs/04-idempotency/app/db.py", "solutions/04-idempotency/app/db.py"),
    "Lab 04's provided provider client": (
        "labs/04-idempotency/app/provider.py",
        "solutions/04-idempotency/app/provider.py",
    ),
    "Lab 04's provided request schema": (
        "labs/04-idempotency/app/schemas.py",
        "solutions/04-idempotency/app/schemas.py",
    ),
    "Lab 04's provided app factory": ("labs/04-idempotency/app/main.py", "solutions/04-idempotency/app/main.py"),
    "Lab 05's catalogue and recommendations services": (
        "grader/suites/05-scaling/_downstream.py",
        "labs/05-scaling/downstream/app.py",
        "solutions/05-scaling/downstream/app.py",
    ),
    "Lab 05's model answer, the suite's throughput reference": (
        "solutions/05-scaling/app",
        "grader/suites/05-scaling/_reference/app",
    ),
    "Lab 05's model answer (core)": ("solutions/05-scaling/app/core", "grader/suites/05-scaling/_reference/app/core"),
    "Lab 05's model answer (routes)": (
        "solutions/05-scaling/app/routes",
        "grader/suites/05-scaling/_reference/app/routes",
    ),
    "Lab 05's provided clients": ("labs/05-scaling/app/clients.py", "solutions/05-scaling/app/clients.py"),
    "Lab 05's provided forecast": ("labs/05-scaling/app/forecast.py", "solutions/05-scaling/app/forecast.py"),
    "Lab 05's provided schemas": ("labs/05-scaling/app/schemas.py", "solutions/05-scaling/app/schemas.py"),
    "Lab 05's provided core (settings, problems)": ("labs/05-scaling/app/core", "solutions/05-scaling/app/core"),
    "Lab 06's shipping-rates service": (
        "grader/suites/06-reliability/_shipping.py",
        "labs/06-reliability/shipping/app.py",
        "solutions/06-reliability/shipping/app.py",
    ),
    "Lab 06's provided settings": ("labs/06-reliability/app/core", "solutions/06-reliability/app/core"),
    "Lab 06's provided database": ("labs/06-reliability/app/db.py", "solutions/06-reliability/app/db.py"),
    "Lab 06's provided schemas": ("labs/06-reliability/app/schemas.py", "solutions/06-reliability/app/schemas.py"),
    "Lab 06's public tests": (
        "labs/06-reliability/tests/test_public.py",
        "solutions/06-reliability/tests/test_public.py",
    ),
}


def _files(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(path.glob("*.py"))}


@pytest.mark.parametrize("what", SHARED)
def test_the_copies_are_identical(what):
    first, *others = (REPO_ROOT / path for path in SHARED[what])
    assert first.exists(), f"{what}: {first} is gone - update SHARED"
    for other in others:
        assert _files(other) == _files(first), (
            f"{what}: {other.relative_to(REPO_ROOT)} differs from {first.relative_to(REPO_ROOT)}; copy it over"
        )
