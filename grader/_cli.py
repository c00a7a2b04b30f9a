"""``grader`` on the command line: a thin layer over the functions in ``_api``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from . import _api
from ._errors import GraderError
from ._report import print_report, write_junit

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grade the course's labs.")
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one-line messages stay one line


@app.command("labs")
def labs_command() -> None:
    """List the labs with their parts and points."""
    console = Console(highlight=False)
    for manifest in _api.labs():
        console.print(f"[bold]{manifest.id}[/]  {manifest.title}  ({manifest.max_score:g} points)")
        for part in manifest.parts:
            console.print(f"    {part.id:<16} {part.title}  [dim]{part.points:g} points, {len(part.tests)} tests[/]")


@app.command("grade")
def grade_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    submission: Annotated[Optional[Path], typer.Option(help="Directory to grade [default: labs/<lab>]")] = None,
    backend: Annotated[str, typer.Option(help="docker, local, or auto (Docker when a daemon answers)")] = "auto",
    json_file: Annotated[Optional[Path], typer.Option("--json", help="Write the results JSON here")] = None,
    junit: Annotated[Optional[Path], typer.Option(help="Write JUnit XML here")] = None,
) -> None:
    """Run a lab's hidden suite. Exit status: 0 full marks, 1 graded, 2 could not grade."""
    try:
        results = _api.grade(lab=lab, submission=submission, backend=backend)
    except KeyboardInterrupt:  # the backend has cleaned up already
        err.print("grader: interrupted")
        raise typer.Exit(130) from None
    if json_file:
        json_file.write_text(results.to_json())
    if junit:
        write_junit(results, junit)
    if results.status == "error":
        err.print(f"grader: {results.message}")
    else:
        print_report(results)
    raise typer.Exit(results.exit_code)


@app.command("image")
def image_command(
    base_image: Annotated[Optional[str], typer.Option(help="Base image [default: $BASE_IMAGE or the Dockerfile's]")] = None,
    rebuild: Annotated[bool, typer.Option(help="Build even if the image exists")] = False,
) -> None:
    """Build the grading image (a no-op when it is up to date)."""
    from ._backends.docker import docker_client
    from ._image import ensure_image

    tag = ensure_image(client=docker_client(), base_image=base_image, rebuild=rebuild, log=lambda line: err.print(line, markup=False, highlight=False))
    print(tag)


@app.command("clean")
def clean_command() -> None:
    """Remove grading containers that an interrupted run left behind."""
    from ._backends.docker import remove_leftovers

    print(f"removed {remove_leftovers()} container(s)")


@app.command("workspace")
def workspace_command() -> None:
    """Make the learner's copies of new lessons in workspace/ (existing copies are kept)."""
    from ._workspace import make_workspace

    for path in make_workspace():
        print(f"created {path.relative_to(path.parents[1])}")


@app.command("release")
def release_command(
    out: Annotated[Optional[Path], typer.Option(help="Where the edition goes [default: build/student-edition]")] = None,
) -> None:
    """Release every lesson with nbgrader (each with its lab as lab/) and build the student edition."""
    from ._course import release

    print(release(out=out))


export_app = typer.Typer(no_args_is_help=True, help="Package a lab's hidden suite for another grading platform.")
app.add_typer(export_app, name="export")


@export_app.command("gradescope")
def export_gradescope_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    out: Annotated[Optional[Path], typer.Option(help="The zip to write [default: build/gradescope-<lab>.zip]")] = None,
) -> None:
    """Build a Gradescope autograder zip: setup.sh, run_autograder, the grader and this lab's hidden suite."""
    from ._gradescope import export_gradescope

    print(export_gradescope(lab=lab, out=out))


@app.command("batch")
def batch_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    submissions: Annotated[Path, typer.Argument(help="A folder holding one folder per student, named by the student id")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Submissions graded at the same time")] = 2,
    out: Annotated[Optional[Path], typer.Option(help="Output folder", show_default="grades-<lab> beside SUBMISSIONS")] = None,
    subdir: Annotated[Optional[str], typer.Option(help="Grade <student>/<subdir> (e.g. lab) instead of <student>")] = None,
    backend: Annotated[str, typer.Option(help="docker, local, or auto (Docker when a daemon answers)")] = "auto",
) -> None:
    """Grade a whole class in parallel; a re-run grades only the submissions that changed.

    Writes OUT/gradebook.csv (a row per student) and OUT/results/<student>.json.

    Exit status: 0 every student graded (whatever the scores);
    2 some student could not be graded (a re-run retries them), or the batch could not start;
    130 interrupted (the finished results are kept).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ._backends.local import WARNING as LOCAL_WARNING
    from ._batch import BatchInterrupted, batch

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[latest]}", markup=False))
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"grading {lab}", total=None, latest="")

        def progress(done, total, latest) -> None:
            text = ""
            if latest is not None:
                text = f"{latest.student}: {latest.status} {latest.score:g}/{latest.max_score:g}"
                text += " (unchanged)" if latest.cached else ""
            bar.update(task, completed=done, total=total, latest=text)

        try:
            summary = batch(lab=lab, submissions=submissions, out=out, jobs=jobs, backend=backend, subdir=subdir,
                            progress=progress, log=lambda line: bar.console.print(line, markup=False))
        except BatchInterrupted as exc:
            summary = exc.summary
    for student in summary.students:
        if student.status == "error" and not summary.interrupted:
            err.print(f"grader: {student.student}: {student.message}", markup=False)
    if summary.backend == "local":
        err.print(f"[yellow]{LOCAL_WARNING}[/]")
    if summary.interrupted:
        err.print(f"grader: interrupted; the finished results are kept in {summary.out}", markup=False)
    else:
        print(f"{summary.lab}: {len(summary.students)} students - {summary.graded} graded, {summary.cached} unchanged"
              f" since the last run, {summary.errors} could not be graded")
        print(f"gradebook: {summary.gradebook}")
    raise typer.Exit(summary.exit_code)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    # So that a killed or interrupted grader still removes its containers - SIGINT included when
    # the grader was started in the background, where the shell makes Python ignore it.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        app()
    except GraderError as exc:
        err.print(f"grader: {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("grader: interrupted")
        sys.exit(130)
