"""One corpus of nasty strings, pushed through every output a person or a program reads.

Learner code influences test messages and output tails (and a student id is a folder name): in
the terminal report, the JSON, JUnit XML, the gradebook CSV and nbgrader feedback they must show
as plain text - no escape sequences, no rich markup, no HTML, no spreadsheet formulas, no crash.
"""

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from grader import Limits, Manifest, Part, TestSpec, print_report, write_junit
from grader._batch.gradebook import StudentResult, write_gradebook
from grader._nbgrader import part_outputs
from grader._scoring import SandboxRun, score
from grader._text import inert, spreadsheet_cell

NASTY = [
    "\x1b[2J\x1b[H screen cleared",
    "\x1b]8;;http://evil.example\x07click me\x1b]8;;\x07",
    "\x1b]0;new terminal title\x07",
    "[bold red]fake markup[/]",
    "[/",
    "[link=http://evil.example]x[/link]",
    "lone \ud800 surrogate",
    '=HYPERLINK("http://evil.example","ok")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "]]> <![CDATA[ x",
    "nul \x00 byte and \x07 bell and \x08 backspace",
    "right-to-left \u202e override",
    "carriage\rreturn",
]
HINT = "Mapped[str] (not Mapped[str | None]): see (README, 'The schema') [bold]not bold[/]"

MANIFEST = Manifest(
    id="demo",
    title="Demo [red]lab[/]",
    lesson="",
    suite_dir=Path("."),
    limits=Limits(),
    parts=(Part("a", "Part [a]", tuple(TestSpec(f"test_a.py::test_{n}", HINT) for n in range(len(NASTY)))),),
)


def nasty_results():
    records = [
        {"nodeid": f"test_a.py::test_{n}", "outcome": "failed", "message": text, "output": text, "duration_s": 0}
        for n, text in enumerate(NASTY)
    ]
    records += [
        {"event": "collected", "nodeids": [f"test_a.py::test_{n}" for n in range(len(NASTY))]},
        {"event": "finished", "exitstatus": 1, "records_lost": 0},
    ]
    return score(MANIFEST, SandboxRun(records=records), backend="docker", duration_s=1)


def assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x00" not in text and "\r" not in text
    assert not any("\ud800" <= ch <= "\udfff" or ch == "\u202e" for ch in text)


def test_messages_are_inert_from_the_moment_they_are_scored():
    results = nasty_results()
    for test in results.tests:
        assert_inert(test.message)
        assert_inert(test.output)


def test_the_terminal_report_prints_text_as_written():
    out = io.StringIO()
    print_report(nasty_results(), console=Console(file=out, force_terminal=True, width=300, highlight=False))
    printed = out.getvalue()
    for learner_sequence in ("\x1b[2J", "\x1b]8;;http://evil", "\x1b]0;", "\x00", "\u202e"):
        assert learner_sequence not in printed
    plain = Console(file=io.StringIO(), width=300)
    plain.begin_capture()
    print_report(nasty_results(), console=plain)
    shown = plain.end_capture()
    assert "Mapped[str] (not Mapped[str | None])" in shown and "[bold]not bold[/]" in shown
    assert "[bold red]fake markup[/]" in shown and "[link=http://evil.example]x[/link]" in shown
    assert "[red]lab[/]" in shown and "Part [a]" in shown  # the title wraps at the table's width


def test_json_round_trips_and_is_valid_utf8():
    text = nasty_results().to_json()
    data = json.loads(text)
    text.encode("utf-8")  # no lone surrogate survives
    assert [t["message"] for t in data["tests"]] == [inert(s) for s in NASTY]


def test_junit_is_valid_xml(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(nasty_results(), path)
    suite = ET.parse(path).getroot()
    messages = [case.find("failure").get("message") for case in suite.iter("testcase")]
    assert messages == [inert(s) for s in NASTY]


def test_gradebook_cells_are_never_formulas(tmp_path):
    students = tuple(
        StudentResult(student=text, status="failed", score=0, max_score=16, parts={"a": 0}, message=text)
        for text in NASTY
    )
    path = tmp_path / "gradebook.csv"
    write_gradebook(path, MANIFEST, students)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for row in rows[1:]:
        for cell in (row[0], row[-1]):
            assert_inert(cell)
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert rows[8][0] == spreadsheet_cell(NASTY[7]) == "'" + NASTY[7]


def test_nbgrader_feedback_escapes_html():
    html_output, _ = part_outputs(nasty_results(), "a")
    body = html_output["data"]["text/html"]
    assert "<script>" not in body and "<img" not in body and "&lt;script&gt;" in body
    assert_inert(body)
    assert_inert(html_output["data"]["text/plain"])


def test_the_notebook_check_and_feedback_html_escape_everything():
    from grader._html import part_html, results_html

    for body in (results_html(nasty_results()), part_html(nasty_results(), "a")):
        assert "<script>" not in body and "<img" not in body and "&lt;script&gt;" in body
        assert_inert(body)
        assert "Mapped[str] (not Mapped[str | None])" in body


def test_one_cause_failing_many_tests_is_reported_once():
    out = io.StringIO()
    records = [
        {"nodeid": f"test_a.py::test_{n}", "outcome": "error", "message": "your app could not start: SyntaxError",
         "output": "", "duration_s": 0}
        for n in range(len(NASTY))
    ]  # fmt: skip
    records += [
        {"event": "collected", "nodeids": [f"test_a.py::test_{n}" for n in range(len(NASTY))]},
        {"event": "finished", "exitstatus": 1, "records_lost": 0},
    ]
    results = score(MANIFEST, SandboxRun(records=records), backend="docker", duration_s=1)
    print_report(results, console=Console(file=out, width=200))
    assert out.getvalue().count("your app could not start: SyntaxError") == 2  # its line, and the summary
