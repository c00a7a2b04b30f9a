"""The OpenAPI document is the contract: Schemathesis generates requests from it and checks the answers."""

import subprocess
import sys
import tempfile
from pathlib import Path

from _shop import customer

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def test_schemathesis_finds_no_5xx_and_no_undocumented_responses(shop):
    _, headers = customer(shop)  # logged in, so the fuzzer gets past the 401s
    st = Path(sys.executable).with_name("st")
    with tempfile.TemporaryDirectory() as home:
        command = [
            str(st), "run", f"{shop.app.url}/openapi.json",
            "--header", f"Authorization: {headers['Authorization']}",
            "--checks", CHECKS, "--phases", "examples,fuzzing",
            "--max-examples", "15", "--seed", "2", "--generation-database", "none",
            "--workers", "1", "--request-timeout", "5", "--no-shrink", "--no-color",
        ]
        result = subprocess.run(
            command, cwd=home, env={"HOME": home, "PATH": str(st.parent)}, capture_output=True, text=True, timeout=100
        )
    output = result.stdout + result.stderr
    failures = output[output.find("FAILURES"):] if "FAILURES" in output else output[-3000:]
    assert result.returncode == 0, (
        "Schemathesis sent requests generated from your /openapi.json and found answers that break it "
        f"(a 5xx, or a body/content type your document doesn't declare):\n{failures[:3000]}"
    )
