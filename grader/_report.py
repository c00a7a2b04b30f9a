"""Showing results to people: a terminal report (rich) and JUnit XML for CI systems.

Learner-influenced text is inert already (``_scoring``); here it is also never interpreted: the
report prints rich ``Text`` (no markup), JUnit relies on XML escaping.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table
from rich.text import Text

from ._backends.local import WARNING as LOCAL_WARNING
from ._history import LabProgress
from ._progress import Progress, ProgressCallback
from ._results import BackendName, Results, Status, TestResult
from ._text import inert

STATUS_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "bold red"}


SHARED_FAILURE = 3  # tests failing with one message are reported together from this many on


def _failures_by_message(results: Results) -> list[tuple[str, list[TestResult]]]:
    groups: dict[str, list[TestResult]] = {}
    for test in results.tests:
        if test.status is not Status.PASSED:
            groups.setdefault(test.message, []).append(test)
    return list(groups.items())


def print_report(results: Results, *, console: Console | None = None) -> None:
    """Parts and points, then each test that lost points with its message and hint.

    Every string is printed as ``Text``, never as rich markup: a hint such as "Mapped[str]" or a
    learner's message holding "[/" or escape sequences shows exactly as written.
    """
    console = console or Console(highlight=False)
    if results.status is Status.ERROR:
        console.print(Text.assemble((f"Could not grade {results.lab}: ", "bold red"), inert(results.message)))
        return
    table = Table(title=Text(f"{results.lab} - {results.title}"), title_justify="left")
    table.add_column("Part")
    table.add_column("Points", justify="right")
    for part in results.parts:
        style = "green" if part.score == part.max_score else "red"
        table.add_row(Text(part.title), Text(f"{part.score:g} / {part.max_score:g}", style=style))
    table.add_row(Text("Total", "bold"), Text(f"{results.score:g} / {results.max_score:g}", "bold"))
    console.print(table)
    for message, tests in _failures_by_message(results):
        if len(tests) >= SHARED_FAILURE:  # one cause (an app that cannot start...): said once
            names = ", ".join(t.name for t in tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")
            console.print(Text.assemble((f"✗ {len(tests)} tests", "bold red"), ": ", inert(message)))
            console.print(Text.assemble("    ", (names, "dim")))
            console.print(Text.assemble("    ", ("hint:", "dim"), " fix this first: it fails every test above"))
            continue
        for test in tests:
            console.print(
                Text.assemble((f"✗ {test.name}", STATUS_STYLE[test.status]), f" ({test.part}): ", inert(test.message))
            )
            console.print(Text.assemble("    ", ("hint:", "dim"), " ", test.hint))
    verdict = Text("Full marks.", "green") if results.status is Status.PASSED else Text(inert(results.message), "red")
    console.print(Text.assemble(verdict, " ", (f"({results.backend} backend, {results.duration_s:.1f} s)", "dim")))
    if results.partial:
        graded = ", ".join(part.id for part in results.parts)
        console.print(Text(f"Partial grading: only {graded}. Run without --part for the whole lab.", "yellow"))
    if results.backend is BackendName.LOCAL:
        console.print(Text(LOCAL_WARNING, "yellow"))


def write_junit(results: Results, path: str | Path) -> None:
    """One <testsuite> per lab, one <testcase> per hidden test (classname = part)."""
    failures = sum(t.status is Status.FAILED for t in results.tests)
    errors = sum(t.status is Status.ERROR for t in results.tests) + (results.status is Status.ERROR)
    suite = ET.Element(
        "testsuite",
        name=results.lab,
        tests=str(len(results.tests)),
        failures=str(failures),
        errors=str(errors),
        time=f"{results.duration_s:.3f}",
    )
    if results.status is Status.ERROR:
        ET.SubElement(
            ET.SubElement(suite, "testcase", classname=results.lab, name="grading"),
            "error",
            message=inert(results.message),
        )
    for test in results.tests:
        case = ET.SubElement(suite, "testcase", classname=test.part, name=test.name, time=f"{test.duration_s:.3f}")
        if test.status is not Status.PASSED:
            kind = "failure" if test.status is Status.FAILED else "error"
            element = ET.SubElement(case, kind, message=inert(test.message))
            element.text = inert(f"hint: {test.hint}\n\n{test.output}")
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


@contextlib.contextmanager
def terminal_progress(lab: str, *, console: Console | None = None) -> Iterator[ProgressCallback]:
    """A progress callback for ``grade``: a live bar with the part running on a terminal; one line
    per finished part otherwise (a CI log is never silent for a whole suite)."""
    console = console or Console(stderr=True, highlight=False)
    if not console.is_terminal:

        def line_per_part(event: Progress) -> None:
            if event.part and event.part_done == event.part_total:
                console.print(Text(f"{lab}: {event.part}: {event.part_passed} of {event.part_total} tests passed"))

        yield line_per_part
        return
    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(f"grading {lab}", total=None)

        def update(event: Progress) -> None:
            where = f" - {event.part}" if event.part else ""
            bar.update(task, total=event.total, completed=event.done, description=f"grading {lab}{where}")

        yield update


_SPARKS = "▁▂▃▄▅▆▇█"


def print_progress(summary: list[LabProgress], *, console: Console | None = None) -> None:
    """Each lab you graded: best and latest score per part, and your whole-lab scores as a sparkline."""
    from ._manifest import load_manifest

    console = console or Console(highlight=False)
    if not summary:
        console.print("No grades yet: run `make grade LAB=00-hello` (or the check at the end of a lesson).")
        return
    table = Table(title=Text("Your progress"), title_justify="left")
    for column, justify in (("Lab", "left"), ("Part", "left"), ("Best", "right"), ("Latest", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for lab in summary:
        manifest = load_manifest(lab.lab)
        for number, part in enumerate(manifest.parts):
            cells = []
            for value in (lab.best.get(part.id), lab.latest.get(part.id)):
                style = "green" if value == part.points else "red" if value is not None else "dim"
                cells.append(Text(("-" if value is None else f"{value:g}") + f" / {part.points:g}", style))
            table.add_row(Text(lab.lab if number == 0 else ""), Text(part.title), *cells)
        if lab.totals:
            sparks = "".join(_SPARKS[min(7, int(8 * t / max(manifest.max_score, 1)))] for t in lab.totals[-30:])
            table.add_row(Text(""), Text(f"{len(lab.totals)} whole-lab attempts", "dim"), Text(sparks), Text(""))
    console.print(table)
