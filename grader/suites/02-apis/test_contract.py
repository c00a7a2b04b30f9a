"""The OpenAPI document is the contract: it declares problems, and Schemathesis generates
requests from it and checks the answers (README, R9-R11)."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from _shop import PROBLEM, expect, json_of, unique_email

from grader.testing import fail

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def test_the_document_declares_every_4xx_as_a_problem(shop):
    document = json_of(
        expect(shop.request("GET", "/openapi.json"), 200, "GET /openapi.json", "R10"), "GET /openapi.json"
    )
    schemas = document.get("components", {}).get("schemas", {})
    problem = schemas.get("Problem", {})
    if not {"type", "title", "status", "detail"} <= set(problem.get("properties", {})):
        fail(
            f"components.schemas.Problem should describe type, title, status and detail (R10), got {sorted(problem.get('properties', {}))}"
        )
    undocumented = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("4"):
                    content = response.get("content", {})
                    schema = content.get(PROBLEM, {}).get("schema", {})
                    if set(content) != {PROBLEM} or schema.get("$ref") != "#/components/schemas/Problem":
                        undocumented.append(f"{method.upper()} {path} {status}: {sorted(content) or 'no content'}")
    if undocumented:
        fail(
            f"every 4xx response is documented as {PROBLEM} with the Problem schema (R10); not so: {'; '.join(undocumented[:4])}"
        )


@pytest.mark.timeout(180)  # about 400 requests: seconds on a quiet machine, a minute or more on a loaded one
def test_schemathesis_finds_no_5xx_and_no_undocumented_answers(shop):
    # A customer registered and logged in through the API (the fuzzer logs in with what it sees).
    credentials = {"email": unique_email("fuzz"), "password": "fuzzing-duck-42"}
    expect(shop.request("POST", "/customers", json={**credentials, "name": "Fuzz"}), 201, "POST /customers", "R27")
    login = expect(shop.request("POST", "/auth/token", json=credentials), 200, "POST /auth/token", "R30")
    token = json_of(login, "POST /auth/token").get("access_token")
    st = Path(sys.executable).with_name("st")
    with tempfile.TemporaryDirectory() as home:
        command = [
            str(st),
            "run",
            f"{shop.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--phases",
            "coverage",  # boundary values of every parameter and field, the same every run
            "--seed",
            "2",
            "--generation-deterministic",  # the same requests every run (and no example database)
            "--workers",
            "1",
            "--request-timeout",
            "5",
            "--max-failures",
            "1",
            "--no-color",
        ]
        try:
            result = subprocess.run(
                command,
                cwd=home,
                env={"HOME": home, "PATH": str(st.parent)},
                capture_output=True,
                text=True,
                timeout=170,
            )
        except subprocess.TimeoutExpired:
            fail("Schemathesis did not finish within 170 s: does your app hang on some requests? (R9, R11)")
    output = result.stdout + result.stderr
    if result.returncode != 0:
        failures = output[output.find("FAILURES") :] if "FAILURES" in output else output[-2500:]
        summary = " | ".join(line.strip() for line in failures.splitlines() if line.strip())[:1500]
        fail(
            f"Schemathesis found answers that break your /openapi.json - a 5xx, or a body or content type it doesn't declare (R9, R11): {summary}"
        )
