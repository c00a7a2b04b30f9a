"""Checking your lab from a lesson: ``grader.check("01-databases")`` and ``grader.progress()``.

In JupyterLab, ``check`` shows live progress while the hidden suite runs (tests done of all, the
part running), then one collapsible row per part with its points and, for every test, a mark, the
message and the hint. Outside Jupyter it prints the same as ``grader grade``. It grades in a
container when Docker answers and says which backend graded. Each check of your own lab is added
to your history (``_history``), which ``progress`` shows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _history
from ._api import grade
from ._html import progress_html, results_html
from ._manifest import load_manifest
from ._progress import Progress
from ._report import print_progress, print_report, terminal_progress
from ._results import Results


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def check(
    lab: str,
    *,
    submission: str | Path | None = None,
    backend: str | None = None,
    parts: Sequence[str] | None = None,
) -> Results:
    """Grade your lab (``labs/<lab>``, or ``submission``) with its hidden suite and show the result.

    ``backend`` defaults to ``$GRADER_BACKEND``, else ``auto`` (Docker when a daemon answers)."""
    backend = backend or os.environ.get("GRADER_BACKEND") or "auto"
    if not _in_notebook():
        with terminal_progress(lab) as progress:
            results = grade(lab=lab, submission=submission, backend=backend, parts=parts, progress=progress)
        print_report(results)
    else:
        from IPython.display import HTML, display

        handle = display(HTML(progress_html(lab, Progress(0, 0, "", "", None))), display_id=True)

        def show(event: Progress) -> None:
            handle.update(HTML(progress_html(lab, event)))

        results = grade(lab=lab, submission=submission, backend=backend, parts=parts, progress=show)
        handle.update(HTML(results_html(results)))
    _history.record(results, submission=submission)
    return results


def progress() -> list[_history.LabProgress]:
    """Your best and latest score per part of each lab you graded, and a chart of your attempts."""
    summary = _history.summarise(_history.load())
    if not _in_notebook():
        print_progress(summary)
        return summary
    from IPython.display import HTML, display

    display(HTML(_progress_table(summary)))
    _plot(summary)
    return summary


def _progress_table(summary: list[_history.LabProgress]) -> str:
    import html

    from ._html import STYLE

    if not summary:
        return f'{STYLE}<div class="duckshop-grade"><p>No grades yet: run a check at the end of a lesson.</p></div>'
    rows = []
    for lab in summary:
        manifest = load_manifest(lab.lab)
        for part in manifest.parts:
            best, latest = lab.best.get(part.id), lab.latest.get(part.id)
            shown = [("-" if v is None else f"{v:g}") + f" / {part.points:g}" for v in (best, latest)]
            rows.append(
                f"<tr><td>{html.escape(lab.lab)}</td><td>{html.escape(part.title)}</td>"
                f'<td class="points">{shown[0]}</td><td class="points">{shown[1]}</td></tr>'
            )
    return (
        f'{STYLE}<div class="duckshop-grade"><table><tr><th>lab</th><th>part</th><th>best</th><th>latest</th></tr>'
        f"{''.join(rows)}</table></div>"
    )


def _plot(summary: list[_history.LabProgress]) -> None:
    import matplotlib.pyplot as plt

    graded = [lab for lab in summary if lab.totals]
    if not graded:
        return
    _figure, axes = plt.subplots(figsize=(7, 3))
    for lab in graded:
        maximum = load_manifest(lab.lab).max_score
        axes.plot(range(1, len(lab.totals) + 1), [100 * t / maximum for t in lab.totals], marker="o", label=lab.lab)
    axes.set(xlabel="attempt", ylabel="score (% of the lab)", ylim=(0, 105), title="Your labs, attempt by attempt")
    axes.legend(loc="lower right", fontsize="small")
    plt.show()
