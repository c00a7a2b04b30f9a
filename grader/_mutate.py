"""``grader mutate LAB``: how many mutants of the solution does the hidden suite kill, part by part?

An authoring tool (not CI, never shipped to learners). The engine is cosmic-ray (the ``dev``
extra): its operators enumerate the mutations of the lab's learner-editable files - the ``.py``
files outside ``tests/`` that differ between ``solutions/<lab>`` and the scaffold ``labs/<lab>``
(identical files are provided code) - and apply one at a time. cosmic-ray, not mutmut: mutmut 3
compiles every mutant into trampolines that import ``mutmut`` and pick the mutant from an
environment variable while pytest runs in mutmut's own process, none of which reaches a learner
process in a grading container; cosmic-ray writes one plain mutated file, which is graded like
any submission. Its own runner (one test command, killed or survived) cannot say which part lost
points, so the grading here is the container grader's.

Each mutant is a copy of the solution with one file mutated, graded with the parts that can see
the mutated code: a probe per function (the solution with ``raise`` as the function's first
statement) finds the parts whose tests fail when it raises; a mutant inside that function is
graded with those parts. Top-level code (constants, class bodies, decorators) runs on import, so
its mutants are graded with every selected part, as are those of a function no part reaches.
A part *kills* a mutant when its score drops below full marks (*timed out* when that happened at
a test's or the suite's time limit). Every CONTROL_EVERY mutants the unmutated solution is graded
again: if it loses points, the machine (not the mutant) failed tests, and the report says so.
Mutants listed in ``mutation-equivalent.toml`` beside the suite (``[[equivalent]] mutant =
"<hash or id>", why = "..."``) are not graded. The report (Markdown, with the diff of every
surviving mutant) goes to ``MUTATION.md`` beside the suite.
"""

from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import datetime
import difflib
import enum
import filecmp
import hashlib
import random
import shutil
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from ._errors import GraderError
from ._files import ignore_junk
from ._manifest import Manifest, load_manifest
from ._paths import LABS_DIR, MUTATION_EQUIVALENT, MUTATION_REPORT, SOLUTIONS_DIR
from ._results import Results, Status

PROBE = 'raise RuntimeError("grader mutate: reach probe")'
SKIP = ignore_junk()
RETRIES = 1  # a grading that Docker broke off (not the mutant's doing) is graded once more
CONTROL_EVERY = 20  # mutants between two gradings of the unmutated solution (a loaded machine shows there)


class Outcome(enum.StrEnum):
    KILLED = "killed"
    TIMED_OUT = "timed out"
    SURVIVED = "survived"
    ERROR = "error"  # could not grade (the grader's reason is kept)


DETECTED = (Outcome.KILLED, Outcome.TIMED_OUT)


@dataclasses.dataclass(frozen=True)
class Mutant:
    path: str  # relative to the lab folder, e.g. "app/pricing.py"
    operator: str  # cosmic-ray's operator name
    occurrence: int
    line: int
    function: str | None  # the innermost enclosing function ("Class.method"), None at top level
    code: str  # the whole mutated file
    diff: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.operator}:{self.occurrence}"

    @property
    def hash(self) -> str:
        """The diff without its line numbers: stable while the rest of the file moves."""
        body = [line for line in self.diff.splitlines()[2:] if not line.startswith("@@")]
        return hashlib.sha256("\n".join([self.path, *body]).encode()).hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class Graded:
    mutant: Mutant
    parts: dict[str, Outcome]  # every part it was graded with
    duration_s: float
    message: str = ""  # the grader's reason, for an error
    failed: tuple[str, ...] = ()  # the tests that failed ("test_file.py::test_name")

    @property
    def outcome(self) -> Outcome:
        """Killed when any part killed it (a grading error wins: nothing is known)."""
        for outcome in (Outcome.ERROR, Outcome.KILLED, Outcome.TIMED_OUT):
            if outcome in self.parts.values():
                return outcome
        return Outcome.SURVIVED


@dataclasses.dataclass(frozen=True)
class Report:
    manifest: Manifest
    files: tuple[str, ...]
    total: int  # mutants of the editable files
    graded: tuple[Graded, ...]
    equivalent: tuple[tuple[Mutant, str], ...]  # sampled, allow-listed, not graded: (mutant, why)
    reach: dict[str, tuple[str, ...]]  # "path::function" -> the parts its probe failed
    controls: tuple[str, ...]  # the solution graded again among the mutants: "" full marks, else why not
    command: str
    wall_s: float

    def tally(self, part: str | None = None) -> dict[Outcome, int]:
        """Outcomes of the mutants graded with ``part`` (or overall)."""
        counts = dict.fromkeys(Outcome, 0)
        for g in self.graded:
            if part is None:
                counts[g.outcome] += 1
            elif part in g.parts:
                counts[g.parts[part]] += 1
        return counts


# --- which files, which mutants --------------------------------------------------------------


def editable_files(*, solution: Path, scaffold: Path) -> list[str]:
    """The solution's ``.py`` files outside ``tests/`` that the scaffold lacks or has otherwise."""
    files = []
    for path in sorted(solution.rglob("*.py")):
        relative = path.relative_to(solution)
        if relative.parts[0] == "tests" or "__pycache__" in relative.parts:
            continue
        provided = scaffold / relative
        if not (provided.is_file() and filecmp.cmp(path, provided, shallow=False)):
            files.append(relative.as_posix())
    return files


def enumerate_mutants(solution: Path, files: Sequence[str]) -> list[Mutant]:
    """Every mutant cosmic-ray's default operators make of ``files``, in a stable order."""
    from cosmic_ray.commands.init import init
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import use_db

    mutants = []
    with tempfile.TemporaryDirectory(prefix="grader-mutate-") as tmp, use_db(Path(tmp) / "session.sqlite") as db:
        init([solution / f for f in files], db, {})
        specs = sorted(
            (item.mutations[0] for item in db.work_items),
            key=lambda s: (str(s.module_path), s.start_pos, s.operator_name, s.occurrence),
        )
    sources = {f: (solution / f).read_text(encoding="utf-8") for f in files}
    functions = {f: _functions(sources[f]) for f in files}
    for spec in specs:
        path = Path(spec.module_path).relative_to(solution).as_posix()
        operator = get_operator(spec.operator_name)(**spec.operator_args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning: "x is 10" is a fine mutant
            try:
                code = mutate_code(sources[path], operator, spec.occurrence)
            except Exception:  # cosmic-ray's operators trip on some constructs (parso nodes without a value)
                continue  # no mutant made there, not the whole run lost
            if code is None or code == sources[path] or not _compiles(code, path):
                continue
        line = spec.start_pos[0]
        mutants.append(
            Mutant(
                path=path,
                operator=spec.operator_name,
                occurrence=spec.occurrence,
                line=line,
                function=_innermost(functions[path], line),
                code=code,
                diff=_diff(sources[path], code, path),
            )
        )
    return mutants


def _compiles(code: str, path: str) -> bool:
    try:
        compile(code, path, "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _diff(before: str, after: str, path: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile=f"a/{path}", tofile=f"b/{path}", lineterm="", n=2
    )
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class _Function:
    name: str  # qualified: "Class.method", "outer.inner"
    start: int  # the def line (decorators are top-level code of the enclosing scope)
    end: int
    body: ast.stmt


def _functions(source: str) -> list[_Function]:
    found: list[_Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append(_Function(name, child.lineno, child.end_lineno or child.lineno, child.body[0]))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def _innermost(functions: list[_Function], line: int) -> str | None:
    around = [f for f in functions if f.start <= line <= f.end]
    return min(around, key=lambda f: f.end - f.start).name if around else None


def probe_code(source: str, function: str) -> str | None:
    """``source`` with ``function`` raising as its first statement; None when that cannot be
    written as a line of its own (a one-line ``def``)."""
    target = next(f for f in _functions(source) if f.name == function)
    if target.body.lineno <= target.start:
        return None
    lines = source.splitlines(keepends=True)
    lines.insert(target.body.lineno - 1, " " * target.body.col_offset + PROBE + "\n")
    code = "".join(lines)
    return code if _compiles(code, "probe") else None


# --- the allow-list of equivalent mutants ------------------------------------------------------


def load_equivalent(path: Path) -> dict[str, str]:
    """``mutant`` (a hash or an id) -> why it behaves exactly like the solution."""
    if not path.is_file():
        return {}
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
        allowed = {str(e["mutant"]): str(e["why"]) for e in entries}
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise GraderError(f"{path}: each [[equivalent]] needs mutant and why ({type(exc).__name__}: {exc})") from None
    return allowed


# --- grading ------------------------------------------------------------------------------------


GradeFunction = Callable[..., Results]  # grader.grade's keywords


def classify(results: Results, manifest: Manifest) -> dict[str, Outcome]:
    """Each graded part's outcome. Timed out: it lost points and a failing test of it ran to the
    test time limit, or the suite ran to its own."""
    if results.status == Status.ERROR:
        return {part.id: Outcome.ERROR for part in manifest.parts}
    suite_cut = results.duration_s >= manifest.limits.timeout_s
    outcomes = {}
    for part in results.parts:
        if part.score >= part.max_score:
            outcomes[part.id] = Outcome.SURVIVED
            continue
        failing = [t for t in results.tests if t.part == part.id and t.status != Status.PASSED]
        slow = any(t.duration_s >= manifest.limits.test_timeout_s for t in failing)
        outcomes[part.id] = Outcome.TIMED_OUT if suite_cut or slow else Outcome.KILLED
    return outcomes


def mutate(
    *,
    lab: str,
    parts: Sequence[str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    jobs: int = 2,
    backend: str = "auto",
    suites_dir: Path | None = None,
    solution: Path | None = None,
    scaffold: Path | None = None,
    out: Path | None = None,
    grade: GradeFunction | None = None,
    log: Callable[[str], object] = lambda line: None,
) -> Report:
    """Grade the mutants of ``lab``'s solution (all, or a ``sample`` drawn with ``seed``) with its
    hidden suite, ``jobs`` at a time, and write the report (default: ``MUTATION.md`` beside the
    suite). Raises ``GraderError`` (one line) when it cannot start or the solution itself loses
    points."""
    started = time.monotonic()
    suites_dir = suites_dir.resolve() if suites_dir else None
    manifest = load_manifest(lab, suites_dir)
    if parts:
        manifest = manifest.select(parts)
    solution = (solution or SOLUTIONS_DIR / lab).resolve()
    scaffold = (scaffold or LABS_DIR / lab).resolve()
    if not solution.is_dir() or not scaffold.is_dir():
        raise GraderError(f"{lab} needs a solution ({solution}) and a scaffold ({scaffold})")
    if jobs < 1 or (sample is not None and sample < 1):
        raise GraderError("--jobs and --sample must be at least 1")
    try:
        import cosmic_ray  # noqa: F401
    except ImportError:
        raise GraderError("grader mutate needs cosmic-ray: pip install -e '.[dev]'") from None
    if grade is None:
        from ._api import grade as grade_with_grader
        from ._backends import resolve_backend

        grade, backend = grade_with_grader, resolve_backend(backend, log=log)
    files = editable_files(solution=solution, scaffold=scaffold)
    if not files:
        raise GraderError(f"no learner-editable .py file: {solution} and {scaffold} hold the same code")
    mutants = enumerate_mutants(solution, files)
    order = {m.id: position for position, m in enumerate(mutants)}
    todo, equivalent = _draw(mutants, sample, seed, load_equivalent(manifest.suite_dir / MUTATION_EQUIVALENT))
    log(f"{lab}: {len(mutants)} mutants of {', '.join(files)}; grading {len(todo)} ({len(equivalent)} equivalent)")

    with tempfile.TemporaryDirectory(prefix=f"grader-mutate-{lab}-") as tmp:
        counter = iter(range(1 << 30))

        def graded(path: str | None, code: str | None, with_parts: Sequence[str]) -> Results:
            submission = Path(tmp) / f"s{next(counter)}"
            shutil.copytree(solution, submission, ignore=SKIP)
            if path is not None:
                (submission / path).write_text(code or "", encoding="utf-8")
            try:
                for _ in range(1 + RETRIES):
                    results = grade(
                        lab=lab, submission=submission, backend=backend, suites_dir=suites_dir, parts=with_parts
                    )
                    if not results.infrastructure_failure:
                        break
                return results
            finally:
                shutil.rmtree(submission, ignore_errors=True)

        every = [p.id for p in manifest.parts]
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader-mutate") as pool:
            baseline = pool.submit(graded, None, None, every)
            functions = sorted({(m.path, m.function) for m in todo if m.function})
            probes = {}
            for path, function in functions:
                code = probe_code((solution / path).read_text(encoding="utf-8"), function)
                if code is not None:
                    probes[f"{path}::{function}"] = pool.submit(graded, path, code, every)
            results = baseline.result()
            if results.status != Status.PASSED:
                pool.shutdown(cancel_futures=True)
                raise GraderError(
                    f"the solution scores {results.score:g}/{results.max_score:g} ({_first_failure(results)}):"
                    " mutants of a solution that loses points cannot be judged"
                )
            log(f"the solution: full marks in {results.duration_s:.1f} s")
            reach = {}
            for where, future in probes.items():
                probe = future.result()
                reach[where] = tuple(p.id for p in probe.parts if p.score < p.max_score)
                log(f"probe {where}: seen by {', '.join(reach[where]) or 'no part'}")

            def run(mutant: Mutant) -> Graded:
                seen = reach.get(f"{mutant.path}::{mutant.function}") or every
                try:
                    results = graded(mutant.path, mutant.code, seen)
                except Exception as exc:  # the grader broke on it: its row says why, the run goes on
                    return Graded(mutant, dict.fromkeys(seen, Outcome.ERROR), 0.0, f"{type(exc).__name__}: {exc}")
                outcomes = classify(results, manifest.select(seen))
                message = results.message if results.status == Status.ERROR else ""
                failed = tuple(t.name for t in results.tests if t.status != Status.PASSED)
                return Graded(mutant, outcomes, results.duration_s, message, failed)

            def control() -> str:
                results = graded(None, None, every)
                if results.status == Status.PASSED:
                    return ""
                return f"{results.score:g}/{results.max_score:g}, {_first_failure(results) or results.status}"

            done, controls = [], []
            try:
                futures: list[concurrent.futures.Future] = []  # of Graded (a mutant) or str (a control)
                for position, mutant in enumerate(todo, start=1):
                    futures.append(pool.submit(run, mutant))
                    if position % CONTROL_EVERY == 0 or position == len(todo):
                        futures.append(pool.submit(control))
                for job in concurrent.futures.as_completed(futures):
                    g = job.result()
                    if isinstance(g, str):
                        controls.append(g)
                        log(f"control: the solution {'lost points: ' + g if g else 'kept full marks'}")
                        continue
                    done.append(g)
                    log(f"[{len(done)}/{len(todo)}] {g.mutant.id} ({g.mutant.hash}): {g.outcome} {g.duration_s:.1f} s")
            except KeyboardInterrupt:  # the gradings under way finish (and clean up); no new one starts
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    report = Report(
        manifest=manifest,
        files=tuple(files),
        total=len(mutants),
        graded=tuple(sorted(done, key=lambda g: order[g.mutant.id])),
        equivalent=equivalent,
        reach=reach,
        controls=tuple(controls),
        command=_command(lab, parts, sample, seed, jobs, backend),
        wall_s=time.monotonic() - started,
    )
    target = out or manifest.suite_dir / MUTATION_REPORT
    target.write_text(render(report), encoding="utf-8")
    return report


def _first_failure(results: Results) -> str:
    failing = next((t for t in results.tests if t.status != Status.PASSED), None)
    return f"{failing.name}: {failing.message}" if failing else results.message


def _draw(
    mutants: list[Mutant], sample: int | None, seed: int, allowed: dict[str, str]
) -> tuple[list[Mutant], tuple[tuple[Mutant, str], ...]]:
    """The mutants to grade (a sample drawn with ``seed`` before the allow-list is applied, so
    that marking one equivalent does not change the others), and the allow-listed ones with why."""
    chosen = mutants
    if sample is not None and sample < len(mutants):
        picked = {m.id for m in random.Random(seed).sample(mutants, sample)}
        chosen = [m for m in mutants if m.id in picked]
    equivalent = tuple((m, allowed.get(m.hash) or allowed[m.id]) for m in chosen if {m.hash, m.id} & set(allowed))
    return [m for m in chosen if not {m.hash, m.id} & set(allowed)], equivalent


def _command(lab: str, parts: Sequence[str] | None, sample: int | None, seed: int, jobs: int, backend: str) -> str:
    words = ["grader mutate", lab, *(f"--part {p}" for p in parts or ())]
    if sample is not None:
        words += [f"--sample {sample}", f"--seed {seed}"]
    return " ".join([*words, f"--jobs {jobs}", f"--backend {backend}"])


# --- the report -----------------------------------------------------------------------------------


def _score(counts: dict[Outcome, int]) -> str:
    judged = counts[Outcome.KILLED] + counts[Outcome.TIMED_OUT] + counts[Outcome.SURVIVED]
    detected = counts[Outcome.KILLED] + counts[Outcome.TIMED_OUT]
    return f"{100 * detected / judged:.0f}%" if judged else "-"


def render(report: Report) -> str:
    """The Markdown report: the per-part table, how reach was decided, every surviving diff."""
    graded = report.graded
    seconds = sum(g.duration_s for g in graded) / len(graded) if graded else 0.0
    version = _engine_version()
    lines = [
        f"# Mutation report: {report.manifest.id}",
        "",
        f"`{report.command}` on {datetime.date.today().isoformat()}, cosmic-ray {version}: {report.total} mutants of"
        f" the learner-editable files ({', '.join(f'`{f}`' for f in report.files)}), {len(graded)} graded,"
        f" {len(report.equivalent)} allow-listed as equivalent. {report.wall_s:.0f} s in all, {seconds:.1f} s per"
        " mutant grading.",
        "",
        "A part kills a mutant when its score drops below full marks. Each mutant is graded only with the parts"
        " that can see it (see *Reach*), so a part also survives mutants of code it calls but does not check;"
        " *nobody* counts those that no part killed. The last row counts a mutant killed when any part killed it.",
        " *Caught* is the goal's measure (at least 90% per part): of the mutants in code a part reaches, the share"
        " the suite kills - in that part or in another.",
        "",
        "| part | graded | killed | timed out | survived | nobody | error | score | caught |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    escaped = [g for g in graded if g.outcome is Outcome.SURVIVED]
    for part in [p.id for p in report.manifest.parts] + [None]:
        counts = report.tally(part)
        nobody = sum(part is None or part in g.parts for g in escaped)
        cells = [sum(counts.values()), counts[Outcome.KILLED], counts[Outcome.TIMED_OUT], counts[Outcome.SURVIVED]]
        cells += [nobody, counts[Outcome.ERROR]]
        caught = f"{100 * (cells[0] - nobody) / cells[0]:.0f}%" if cells[0] else "-"
        lines.append(f"| {part or '**all**'} | {' | '.join(map(str, cells))} | {_score(counts)} | {caught} |")
    lost = [why for why in report.controls if why]
    if lost:
        lines += [
            "",
            f"**Not to be trusted:** the unmutated solution, graded {len(report.controls)} times among the mutants,"
            f" lost points {len(lost)} times (first: {lost[0]}). Kills on this run may be the machine's, not the"
            " suite's: grade again on a quieter machine, or make the suite deterministic under load.",
        ]
    else:
        lines += [
            "",
            f"Controls: the unmutated solution, graded {len(report.controls)} times among the mutants, kept full"
            " marks every time.",
        ]
    lines += ["", "## Reach", ""]
    lines.append(
        "A probe raises at the start of each function; its mutants are graded with the parts whose score dropped."
        " Top-level code (constants, class bodies, decorators) and functions no part reaches: every part."
    )
    lines.append("")
    lines += [
        f"- `{where}`: {', '.join(parts) or 'no part (graded with every part)'}"
        for where, parts in report.reach.items()
    ]
    lines += ["", f"## Survived every part that graded it ({len(escaped)})", ""]
    if not escaped:
        lines.append("None.")
    for g in escaped:
        where = f"`{g.mutant.function}`" if g.mutant.function else "top level"
        lines += [
            f"### `{g.mutant.id}` (line {g.mutant.line}, {where}, hash `{g.mutant.hash}`)",
            "",
            f"Graded with {', '.join(g.parts)}.",
            "",
            "```diff",
            g.mutant.diff,
            "```",
            "",
        ]
    partly = [g for g in graded if g.outcome in DETECTED and Outcome.SURVIVED in g.parts.values()]
    if partly:
        lines += [f"## Survived some parts, killed by others ({len(partly)})", ""]
        lines += ["| mutant | hash | change | survived in | killed by (failing tests) |", "|---|---|---|---|---|"]
        for g in partly:
            survived = [p for p, o in g.parts.items() if o is Outcome.SURVIVED]
            killed = [p for p, o in g.parts.items() if o in DETECTED]
            tests = ", ".join(f"`{name.split('::')[-1]}`" for name in g.failed)
            lines.append(
                f"| `{g.mutant.id}` | `{g.mutant.hash}` | {_change(g.mutant)} | {', '.join(survived)}"
                f" | {', '.join(killed)} ({tests}) |"
            )
        lines.append("")
    errors = [g for g in graded if g.outcome is Outcome.ERROR]
    if errors:
        lines += ["## Could not grade", ""]
        lines += [f"- `{g.mutant.id}`: {g.message}" for g in errors]
        lines.append("")
    if report.equivalent:
        lines += [f"## Equivalent (allow-listed in `{MUTATION_EQUIVALENT}`, not graded)", ""]
        lines += [f"- `{m.id}` (hash `{m.hash}`): {why}" for m, why in report.equivalent]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _change(mutant: Mutant) -> str:
    """The first changed line, before and after, for a table cell."""
    body = mutant.diff.splitlines()[2:]
    before = next((line[1:].strip() for line in body if line.startswith("-") and line[1:].strip()), "")
    after = next((line[1:].strip() for line in body if line.startswith("+") and line[1:].strip()), "")
    return (f"`{before}` -> `{after}`" if after else f"`{before}` removed").replace("|", "\\|")


def _engine_version() -> str:
    from importlib.metadata import version

    return version("cosmic-ray")
