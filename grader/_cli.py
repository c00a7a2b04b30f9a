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


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # so a killed grader still removes its container
    try:
        app()
    except GraderError as exc:
        err.print(f"grader: {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("grader: interrupted")
        sys.exit(130)
