"""``grader`` on the command line: a thin layer over the functions in ``_api``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import _api
from . import _history as history
from ._errors import GraderError
from ._report import print_progress, print_report, terminal_progress, write_junit
from ._text import inert

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grade the course's labs.")
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one-line messages stay one line


@app.command("labs")
def labs_command() -> None:
    """List the labs with their parts and points."""
    console = Console(highlight=False, soft_wrap=True)  # one line per lab and per part, whatever the width
    for manifest in _api.labs():
        console.print(f"[bold]{manifest.id}[/]  {manifest.title}  ({manifest.max_score:g} points)")
        for part in manifest.parts:
            console.print(f"    {part.id:<16} {part.title}  [dim]{part.points:g} points, {len(part.tests)} tests[/]")


@app.command("grade")
def grade_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    submission: Annotated[Path | None, typer.Option(help="Directory to grade [default: labs/<lab>]")] = None,
    backend: Annotated[str, typer.Option(help="docker, local, or auto (Docker when a daemon answers)")] = "auto",
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the results JSON here")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here")] = None,
    log: Annotated[
        Path | None, typer.Option(help="Write the sandbox's log here (instructors: it can quote hidden tests)")
    ] = None,
    part: Annotated[
        list[str] | None, typer.Option(help="Grade only this part (repeat for more); see `grader labs`")
    ] = None,
) -> None:
    """Run a lab's hidden suite. Exit status: 0 full marks, 1 graded, 2 could not grade."""
    try:
        with terminal_progress(lab, console=err) as progress:
            results = _api.grade(lab=lab, submission=submission, backend=backend, parts=part, progress=progress)
        history.record(results, submission=submission)
    except KeyboardInterrupt:  # the backend has cleaned up already
        err.print("grader: interrupted")
        raise typer.Exit(130) from None
    if json_file:
        json_file.write_text(results.to_json())
    if junit:
        write_junit(results, junit)
    if log:
        log.write_text(results.log, encoding="utf-8", errors="replace")
    if results.status == "error":
        err.print(f"grader: {inert(results.message)}", markup=False)
    else:
        print_report(results)
    raise typer.Exit(results.exit_code)


@app.command("progress")
def progress_command() -> None:
    """Your grading history: best and latest score per part of each lab, and your attempts."""
    print_progress(history.summarise(history.load()))


@app.command("image")
def image_command(
    base_image: Annotated[
        str | None, typer.Option(help="Base image [default: $BASE_IMAGE or the Dockerfile's]")
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Build even if the image exists")] = False,
) -> None:
    """Build the grading image (a no-op when it is up to date)."""
    from ._backends.docker import docker_client
    from ._image import ensure_image

    tag = ensure_image(
        client=docker_client(),
        base_image=base_image,
        rebuild=rebuild,
        log=lambda line: err.print(line, markup=False, highlight=False),
    )
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


@app.command("lab-cells")
def lab_cells_command(
    lab: Annotated[list[str] | None, typer.Argument(help="Lab ids [default: every lab]")] = None,
    check: Annotated[bool, typer.Option(help="Change nothing; exit 1 if a lesson is out of sync")] = False,
) -> None:
    """Write the lab cells at the end of each lesson from its lab's manifest (one grade cell per part)."""
    from ._lessons import sync_lab_cells
    from ._manifest import load_manifest

    manifests = [load_manifest(lab_id) for lab_id in lab] if lab else _api.labs()
    stale = [m for m in manifests if sync_lab_cells(m, check=check)]
    for manifest in stale:
        print(f"{manifest.lesson}: lab cells {'out of sync' if check else 'written'} ({manifest.id})")
    if check and stale:
        err.print("grader: run `grader lab-cells` to write them")
        raise typer.Exit(1)


@app.command("new-lab")
def new_lab_command(
    lab: Annotated[str, typer.Argument(help="Lab id: two digits, a dash, a topic (e.g. 05-rate-limits)")],
    title: Annotated[str | None, typer.Option(help="The lab's title [default: from the topic]")] = None,
    root: Annotated[Path | None, typer.Option(help="The course's root [default: this checkout]")] = None,
) -> None:
    """Create a lab that grades end to end: suite, scaffold, solution, lesson skeleton, course links."""
    from ._new_lab import new_lab
    from ._paths import REPO_ROOT

    created = new_lab(lab=lab, title=title, root=root or REPO_ROOT)
    for path in created.written:
        print(path)
    print(f"next: CONTRIBUTING.md, 'Adding a lab' - then make grade LAB={lab} SUBMISSION=solutions/{lab}")


@app.command("release")
def release_command(
    out: Annotated[Path | None, typer.Option(help="Where the edition goes [default: build/student-edition]")] = None,
) -> None:
    """Release every lesson with nbgrader (each with its lab as lab/) and build the student edition."""
    from ._course import release

    print(release(out=out))


@app.command("stage-submission")
def stage_submission_command(
    student: Annotated[str, typer.Argument(help="A test student's id, e.g. alice")],
    lesson: Annotated[str, typer.Argument(help="The lesson (nbgrader assignment), e.g. 01-databases")],
    untouched: Annotated[bool, typer.Option(help="Hand in the release as it is, not the model answers")] = False,
    course_dir: Annotated[
        Path | None, typer.Option(help="The nbgrader course [default: this checkout's course/]")
    ] = None,
) -> None:
    """Make course/submitted/STUDENT/LESSON/ as a learner would submit it, to try nbgrader autograde."""
    from ._instructor import stage_submission
    from ._paths import COURSE_DIR

    try:
        print(
            stage_submission(student=student, lesson=lesson, solved=not untouched, course_dir=course_dir or COURSE_DIR)
        )
    except GraderError as exc:
        err.print(f"grader: {exc}", markup=False)
        raise typer.Exit(2) from None


@app.command("export-parts")
def export_parts_command(
    out: Annotated[Path | None, typer.Option(help="The CSV [default: course/grades-parts.csv]")] = None,
    course_dir: Annotated[
        Path | None, typer.Option(help="The nbgrader course [default: this checkout's course/]")
    ] = None,
) -> None:
    """Every student's points for each lab part, from nbgrader's gradebook (beside nbgrader export's totals)."""
    from ._instructor import export_parts
    from ._paths import COURSE_DIR

    try:
        print(export_parts(out=out, course_dir=course_dir or COURSE_DIR))
    except GraderError as exc:
        err.print(f"grader: {exc}", markup=False)
        raise typer.Exit(2) from None


@app.command("autograde")
def autograde_command(
    assignment: Annotated[str, typer.Argument(help="The lesson (nbgrader assignment), e.g. 00-welcome")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Students autograded at the same time")] = 2,
    student: Annotated[
        list[str] | None, typer.Option(help="Only this student (repeat for more) [default: every submission]")
    ] = None,
    course_dir: Annotated[Path, typer.Option(help="The nbgrader course (its nbgrader_config.py)")] = Path("."),
    force: Annotated[bool, typer.Option(help="Autograde again students already autograded")] = False,
    backend: Annotated[
        str | None,
        typer.Option(help="docker or local, for notebooks and labs both [default: the course's config]"),
    ] = None,
) -> None:
    """nbgrader autograde for a whole class, N students at a time, into nbgrader's gradebook.

    Each student is autograded by nbgrader itself against its own copy of the gradebook; this
    command alone writes the course's gradebook, one student at a time. Run it from course/.

    Exit status: 0 every student autograded; 2 nbgrader could not grade some (run it again for
    them), or bad input; 130 interrupted (the students finished are in the gradebook).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ._autograde import AutogradeInterrupted, Outcome, autograde

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[latest]}", markup=False),
    )
    interrupted = False
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"autograding {assignment}", total=None, latest="")

        def progress(done, total, latest) -> None:
            text = ""
            if latest is not None:
                text = f"{latest.student}: {latest.outcome.value}"
                text += f" {latest.score:g}/{latest.max_score:g}" if latest.score is not None else ""
            bar.update(task, completed=done, total=total, latest=text)

        try:
            summary = autograde(
                assignment=assignment,
                jobs=jobs,
                students=student,
                course_dir=course_dir,
                force=force,
                backend=backend,  # type: ignore[arg-type]  # checked by autograde()
                progress=progress,
            )
        except AutogradeInterrupted as exc:
            summary, interrupted = exc.summary, True
    for result in summary.students:
        if result.outcome is Outcome.ERROR:
            err.print(f"grader: {inert(result.student)}: {inert(result.message)}", markup=False)
    if interrupted:
        err.print(f"grader: interrupted; {len(summary.students)} student(s) finished are in {summary.gradebook}")
        raise typer.Exit(130)
    print(
        f"{summary.assignment}: {len(summary.students)} students - {summary.count(Outcome.GRADED)} autograded,"
        f" {summary.count(Outcome.UNCHANGED)} unchanged since the last run (--force grades them again),"
        f" {summary.count(Outcome.ERROR)} could not be graded"
    )
    print(f"gradebook: {summary.gradebook}")
    raise typer.Exit(summary.exit_code)


export_app = typer.Typer(no_args_is_help=True, help="Package a lab's hidden suite for another grading platform.")
app.add_typer(export_app, name="export")


@export_app.command("gradescope")
def export_gradescope_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    out: Annotated[Path | None, typer.Option(help="The zip to write [default: build/gradescope-<lab>.zip]")] = None,
) -> None:
    """Build a Gradescope autograder zip: setup.sh, run_autograder, the grader and this lab's hidden suite."""
    from ._gradescope import export_gradescope

    print(export_gradescope(lab=lab, out=out))


@app.command("batch")
def batch_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    submissions: Annotated[
        Path, typer.Argument(help="A folder holding one folder per student, named by the student id")
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Submissions graded at the same time")] = 2,
    out: Annotated[
        Path | None, typer.Option(help="Output folder", show_default="grades-<lab> beside SUBMISSIONS")
    ] = None,
    subdir: Annotated[str | None, typer.Option(help="Grade <student>/<subdir> (e.g. lab) instead of <student>")] = None,
    backend: Annotated[str, typer.Option(help="docker, local, or auto (Docker when a daemon answers)")] = "auto",
    broker: Annotated[
        str | None,
        typer.Option(help="Grade on `grader worker` hosts through this Redis broker (redis://HOST:6379/0)"),
    ] = None,
    visibility_timeout: Annotated[
        float | None, typer.Option(help="With --broker: seconds before a lost worker's task is redelivered")
    ] = None,
) -> None:
    """Grade a whole class in parallel; a re-run grades only the submissions that changed.

    Writes OUT/gradebook.csv (a row per student) and OUT/results/<student>.json. With --broker,
    the workers of that broker grade, -j aside; the files written are the same.

    Exit status: 0 every student graded (whatever the scores);
    2 some student could not be graded (a re-run retries them), or the batch could not start;
    130 interrupted (the finished results are kept).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ._backends.local import WARNING as LOCAL_WARNING
    from ._batch import BatchInterrupted, batch

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[latest]}", markup=False),
        TextColumn("{task.fields[workers]}", markup=False),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"grading {lab}", total=None, latest="", workers="")

        def on_worker(counts: dict[str, int]) -> None:
            bar.update(task, workers="  ".join(f"{name}: {n}" for name, n in sorted(counts.items())))

        def progress(done, total, latest) -> None:
            text = ""
            if latest is not None:
                text = f"{latest.student}: {latest.status} {latest.score:g}/{latest.max_score:g}"
                text += " (unchanged)" if latest.cached else ""
            bar.update(task, completed=done, total=total, latest=text)

        try:
            summary = batch(
                lab=lab,
                submissions=submissions,
                out=out,
                jobs=jobs,
                backend=backend,
                subdir=subdir,
                progress=progress,
                log=lambda line: bar.console.print(line, markup=False),
                broker=broker,
                visibility_timeout_s=visibility_timeout,
                on_worker=on_worker,
            )
        except BatchInterrupted as exc:
            summary = exc.summary
    for student in summary.students:
        if student.status == "error" and not summary.interrupted:
            err.print(f"grader: {inert(student.student)}: {inert(student.message)}", markup=False)
    if summary.backend == "local":
        err.print(f"[yellow]{LOCAL_WARNING}[/]")
    if summary.interrupted:
        err.print(f"grader: interrupted; the finished results are kept in {summary.out}", markup=False)
    else:
        print(
            f"{summary.lab}: {len(summary.students)} students - {summary.graded} graded, {summary.cached} unchanged"
            f" since the last run, {summary.errors} could not be graded"
        )
        print(f"gradebook: {summary.gradebook}")
    raise typer.Exit(summary.exit_code)


@app.command("worker")
def worker_command(
    broker: Annotated[str, typer.Option(help="The Redis broker the batches send to (redis://HOST:6379/0)")],
    name: Annotated[str | None, typer.Option(help="This worker's name [default: grader-<pid>@<host>]")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", help="Submissions graded at the same time")] = 1,
    backend: Annotated[str, typer.Option(help="docker, or local (no isolation: to try it out)")] = "docker",
    visibility_timeout: Annotated[
        float, typer.Option(help="Seconds before a lost worker's task is delivered again (above every deadline)")
    ] = 3600,
    blob_cache: Annotated[
        Path | None, typer.Option(help="Where fetched submissions are kept [default: ~/.cache/duckshop-grader/blobs]")
    ] = None,
    suites_dir: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    """Grade the batches sent to BROKER with this host's Docker engine, until Ctrl-C or SIGTERM."""
    from ._distributed.worker import run_worker

    run_worker(
        broker=broker,
        name=name,
        concurrency=concurrency,
        backend=backend,
        visibility_timeout_s=visibility_timeout,
        blob_cache=blob_cache,
        suites_dir=suites_dir.resolve() if suites_dir else None,
        log=lambda line: err.print(line, markup=False),
    )


@app.command("workers")
def workers_command(
    broker: Annotated[str, typer.Option(help="The Redis broker (redis://HOST:6379/0)")],
) -> None:
    """The live grading workers of BROKER and what each is grading. Exit status 1 when none answers."""
    from ._distributed.worker import list_workers

    workers = list_workers(broker=broker)
    for worker in workers:
        doing = "; ".join(
            f"{g.lab} for {', '.join(inert(s) for s in g.students)} ({g.seconds:.0f} s)" for g in worker.grading
        )
        print(
            f"{worker.name}: {('grading ' + doing) if doing else 'idle'} - {worker.graded} graded, {worker.fetched} fetched"
        )
    if not workers:
        err.print("grader: no worker answers on this broker")
        raise typer.Exit(1)


@app.command("mutate")
def mutate_command(
    lab: Annotated[str, typer.Argument(help="Lab id, e.g. 00-hello")],
    part: Annotated[list[str] | None, typer.Option(help="Only this part (repeat for more)")] = None,
    sample: Annotated[int | None, typer.Option(help="Grade a random sample of N mutants [default: all]")] = None,
    seed: Annotated[int, typer.Option(help="The sample's seed: the same seed, the same sample")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Mutants graded at the same time")] = 2,
    backend: Annotated[str, typer.Option(help="docker, local, or auto (Docker when a daemon answers)")] = "auto",
    out: Annotated[
        Path | None, typer.Option(help="Write the report here", show_default="MUTATION.md beside the suite")
    ] = None,
) -> None:
    """Mutation score of a lab's hidden suite (authoring tool, needs the dev extra).

    Grades mutants of the solution's learner-editable files, each with the parts that can see
    it, and prints a per-part table (killed, timed out, survived) and every surviving diff.
    Exit status 1 when the unmutated solution, graded again among the mutants, lost points.
    """
    from ._mutate import mutate, render
    from ._paths import MUTATION_REPORT

    report = mutate(
        lab=lab,
        parts=part,
        sample=sample,
        seed=seed,
        jobs=jobs,
        backend=backend,
        out=out,
        log=lambda line: err.print(line, markup=False),
    )
    print(render(report), end="")
    err.print(f"report: {out or report.manifest.suite_dir / MUTATION_REPORT}", markup=False)
    if any(report.controls):
        err.print("grader: the unmutated solution lost points during the run: its kills cannot be trusted")
        raise typer.Exit(1)


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
        err.print(f"grader: {inert(str(exc))}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("grader: interrupted")
        sys.exit(130)
