"""A learner sees the first line of a failing test's message, never the hidden test's code: every
assert in a hidden suite carries its own message (what was expected, what came instead), or pytest
would show the rewritten expression - the suite's variable names - and nothing of what to fix."""

from __future__ import annotations

import ast

from grader._paths import SUITES_DIR


def test_every_assert_in_a_hidden_suite_has_a_message():
    bare = []
    for path in sorted(SUITES_DIR.glob("*/*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"{path.relative_to(SUITES_DIR)}:{node.lineno}")
    assert bare == [], f"asserts without a message (say what was expected and what came instead): {bare}"
