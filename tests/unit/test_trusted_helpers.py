"""Helper servers a hidden suite starts expose nothing that learner code could call to change what
the suite reads (issue 12): Lab 04's fake provider runs without its admin endpoints in the grader,
and the suite sets faults and reads the ledger in its own process."""

from __future__ import annotations

import ast
import importlib.util

import httpx
import pytest

from grader._paths import SUITES_DIR

SUITE = SUITES_DIR / "04-idempotency"
ADMIN = [("POST", "/_admin/reset", None), ("GET", "/_admin/ledger", None), ("POST", "/_admin/faults", {"fail_next": 5})]


def _provider_module():
    spec = importlib.util.spec_from_file_location("lab04_provider", SUITE / "_provider.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lab04_suite_starts_its_provider_without_admin_endpoints():
    tree = ast.parse((SUITE / "conftest.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ProviderServer"
    ]
    assert calls, "the Lab 04 suite no longer starts a ProviderServer: update this test"
    for call in calls:
        admin = [k.value for k in call.keywords if k.arg == "admin"]
        assert len(admin) == 1 and isinstance(admin[0], ast.Constant) and admin[0].value is False, ast.unparse(call)


@pytest.mark.parametrize("admin", [False, True])
def test_without_admin_endpoints_nothing_a_client_sends_changes_faults_or_ledger(admin):
    server = _provider_module().ProviderServer(admin=admin).start()
    try:
        answers = [httpx.request(method, f"{server.url}{path}", json=body).status_code for method, path, body in ADMIN]
        charged = httpx.post(
            f"{server.url}/charges",
            json={"amount_cents": 500, "currency": "eur", "card": "tok_visa", "reference": "order-1"},
            headers={"Idempotency-Key": "k-1"},
        )
    finally:
        server.stop()
    if admin:  # the public tests' provider: the same requests do reach it (so this test can fail)
        assert answers == [200, 200, 200] and charged.status_code == 503
    else:
        assert answers == [404, 404, 404] and charged.status_code == 201
