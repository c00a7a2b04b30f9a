import xml.etree.ElementTree as ET

from rich.console import Console
from test_results import example

from grader import Results, print_report, write_junit


def render(results) -> str:
    console = Console(record=True, width=200)
    print_report(results, console=console)
    return console.export_text()


def test_the_report_shows_parts_points_and_hints_of_failures():
    text = render(example())
    assert "Health" in text and "1 / 2" in text
    assert "t.py::b" in text and "expected 200" in text and "hint: h" in text
    assert "t.py::a" not in text  # passing tests stay quiet


def test_an_error_report_is_one_line():
    text = render(Results.error(lab="nope", message="unknown lab 'nope'", backend="none"))
    assert text.strip() == "Could not grade nope: unknown lab 'nope'"


def test_junit_xml(tmp_path):
    write_junit(example(), tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "2", "1")
    failure = suite.find("testcase[@name='t.py::b']/failure")
    assert failure.get("message") == "expected 200" and "hint: h" in failure.text
