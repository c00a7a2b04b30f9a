"""Results as HTML, for JupyterLab (``grader.check``) and nbgrader feedback (``LabGrades``).

Every string is escaped (``html.escape`` of inert text): learner messages are shown, never run.
The style is inline and scoped to ``.duckshop-grade``, so a feedback page or a notebook looks the
same wherever it is opened, offline.
"""

from __future__ import annotations

import html

from ._progress import Progress
from ._results import Results, Status, TestResult
from ._text import inert

STYLE = """<style>
.duckshop-grade {font-family: system-ui, sans-serif; font-size: 14px; line-height: 1.4; max-width: 60em}
.duckshop-grade table {border-collapse: collapse; margin: .4em 0}
.duckshop-grade th, .duckshop-grade td {padding: .3em .7em !important; border-bottom: 1px solid #ddd;
  text-align: left !important; vertical-align: top}
.duckshop-grade .pass {color: #1a7f37} .duckshop-grade .fail {color: #cf222e}
.duckshop-grade td.points {text-align: right !important; white-space: nowrap}
.duckshop-grade .message {font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap;
  overflow-wrap: anywhere}
.duckshop-grade .hint {color: #57606a} .duckshop-grade summary {cursor: pointer}
.duckshop-grade .note {color: #57606a; font-size: 13px}
</style>"""


def _text(value: str) -> str:
    return html.escape(inert(value))


def _points(score: float, max_score: float) -> str:
    css = "pass" if score == max_score else "fail"
    return f'<span class="{css}">{score:g} / {max_score:g}</span>'


def _test_row(test: TestResult) -> str:
    mark = '<span class="pass">✓</span>' if test.status is Status.PASSED else '<span class="fail">✗</span>'
    details = ""
    if test.status is not Status.PASSED:
        details = (
            f'<div class="message">{_text(test.message)}</div><div class="hint"><b>Hint:</b> {_text(test.hint)}</div>'
        )
    return (
        f"<tr><td>{mark}</td><td><code>{_text(test.name)}</code>{details}</td>"
        f'<td class="points">{test.score:g} / {test.max_score:g}</td></tr>'
    )


def part_html(results: Results, part_id: str) -> str:
    """One part: its score, then a table of its tests (mark, test with message and hint, points)."""
    part = next(p for p in results.parts if p.id == part_id)
    rows = "".join(_test_row(t) for t in results.tests if t.part == part_id)
    return (
        f'{STYLE}<div class="duckshop-grade"><p><b>{_text(part.title)}</b>: '
        f"{_points(part.score, part.max_score)} points</p>"
        f"<table><tr><th></th><th>test</th><th>points</th></tr>{rows}</table></div>"
    )


def results_html(results: Results) -> str:
    """A whole grading: one collapsible row per part (open when it lost points), every test inside."""
    if results.status is Status.ERROR:
        return f'{STYLE}<div class="duckshop-grade"><p class="fail"><b>Could not grade {_text(results.lab)}:</b> {_text(results.message)}</p></div>'
    parts = []
    for part in results.parts:
        rows = "".join(_test_row(t) for t in results.tests if t.part == part.id)
        lost = " open" if part.score < part.max_score else ""
        parts.append(
            f"<details{lost}><summary><b>{_text(part.title)}</b> - {_points(part.score, part.max_score)}</summary>"
            f"<table>{rows}</table></details>"
        )
    verdict = "Full marks." if results.status is Status.PASSED else _text(results.message)
    partial = " Only some parts were graded." if results.partial else ""
    return (
        f'{STYLE}<div class="duckshop-grade"><p><b>{_text(results.lab)} - {_text(results.title)}</b>: '
        f"{_points(results.score, results.max_score)} points. {verdict}{partial}</p>{''.join(parts)}"
        f'<p class="note">Graded by the {_text(str(results.backend))} backend in {results.duration_s:.1f} s.</p></div>'
    )


def progress_html(lab: str, event: Progress) -> str:
    where = f" - now: {_text(event.part)}" if event.part and event.done < event.total else ""
    return (
        f'{STYLE}<div class="duckshop-grade"><p>Grading <b>{_text(lab)}</b>: {event.done} of {event.total} '
        f'tests done{where}</p><progress value="{event.done}" max="{max(event.total, 1)}" style="width: 30em">'
        "</progress></div>"
    )
