"""Showing results to people: a terminal report (rich) and JUnit XML for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ._backends.local import WARNING as LOCAL_WARNING
from ._results import Results

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "bold red"}


def _points(value: float) -> str:
    return f"{value:g}"


def print_report(results: Results, *, console: Console | None = None) -> None:
    """Parts and points, then each test that lost points with its message and hint."""
    console = console or Console(highlight=False)
    if results.status == "error":
        console.print(f"[bold red]Could not grade {results.lab}:[/] {results.message}")
        return
    table = Table(title=f"{results.lab} - {results.title}", title_justify="left")
    table.add_column("Part")
    table.add_column("Points", justify="right")
    for part in results.parts:
        style = "green" if part.score == part.max_score else "red"
        table.add_row(part.title, f"[{style}]{_points(part.score)} / {_points(part.max_score)}[/]")
    table.add_row("[bold]Total[/]", f"[bold]{_points(results.score)} / {_points(results.max_score)}[/]")
    console.print(table)
    for test in results.tests:
        if test.status != "passed":
            console.print(f"[{STATUS_STYLE[test.status]}]✗ {test.name}[/] ({test.part}): {test.message}")
            console.print(f"    [dim]hint:[/] {test.hint}")
    verdict = {"passed": "[green]Full marks.[/]", "failed": f"[red]{results.message}[/]"}[results.status]
    console.print(f"{verdict} [dim]({results.backend} backend, {results.duration_s:.1f} s)[/]")
    if results.backend == "local":
        console.print(f"[yellow]{LOCAL_WARNING}[/]")


def write_junit(results: Results, path: str | Path) -> None:
    """One <testsuite> per lab, one <testcase> per hidden test (classname = part)."""
    failures = sum(t.status == "failed" for t in results.tests)
    errors = sum(t.status == "error" for t in results.tests) + (results.status == "error")
    suite = ET.Element("testsuite", name=results.lab, tests=str(len(results.tests)), failures=str(failures),
                       errors=str(errors), time=f"{results.duration_s:.3f}")
    if results.status == "error":
        ET.SubElement(ET.SubElement(suite, "testcase", classname=results.lab, name="grading"),
                      "error", message=results.message)
    for test in results.tests:
        case = ET.SubElement(suite, "testcase", classname=test.part, name=test.name, time=f"{test.duration_s:.3f}")
        if test.status != "passed":
            element = ET.SubElement(case, "failure" if test.status == "failed" else "error", message=test.message)
            element.text = f"hint: {test.hint}\n\n{test.output}"
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
