"""`grader batch` without grading anything: a fake grade function, real files, hashes, CSV."""

import csv
import json
import shutil
import threading

import jsonschema
import pytest

import grader._batch.run
from grader import GraderError, Results, load_manifest
from grader._batch import BatchInterrupted, batch, default_out
from grader._batch.cache import cache_key, grading_context
from grader._paths import SCHEMA_PATH, SUITES_DIR
from grader._results import PartResult

MANIFEST = load_manifest("00-hello")
PARTS = [p.id for p in MANIFEST.parts]  # health (3), quotes (4), validation (4), pricing (6)


class FakeGrade:
    """Grades by reading ``grade.txt`` in the submission: ``full``, ``zero``, ``half``,
    ``docker-down`` (no sandbox ran), ``docker-broke`` (Docker broke the run off), ``raise``."""

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def graded(self):
        return sorted(path.name if path.name != "lab" else path.parent.name for path in self.calls)

    def __call__(self, *, lab, submission, backend, suites_dir):
        with self._lock:
            self.calls.append(submission)
        manifest = load_manifest(lab, suites_dir)
        what = (submission / "grade.txt").read_text().strip() if (submission / "grade.txt").exists() else "zero"
        if what == "raise":
            raise RuntimeError("the fake grader fell over")
        if what in ("docker-down", "docker-broke"):
            return Results.error(
                lab=lab,
                message="Docker is not available (DockerException); start it"
                if what == "docker-down"
                else "Docker failed while grading: 404 container not found",
                backend="none" if what == "docker-down" else "docker",
                max_score=manifest.max_score,
                infrastructure_failure=True,
            )
        scores = {
            "full": {p.id: p.points for p in manifest.parts},
            "half": {"health": 3, "quotes": 1},
        }.get(what, {})
        parts = tuple(PartResult(p.id, p.title, scores.get(p.id, 0), p.points) for p in manifest.parts)
        total = sum(p.score for p in parts)
        message = f"{total:g} points"
        return Results(
            lab=lab,
            title=manifest.title,
            score=total,
            max_score=manifest.max_score,
            status="passed" if total == manifest.max_score else "failed",
            backend=backend,
            duration_s=0.1,
            message=message,
            parts=parts,
        )


@pytest.fixture
def fake():
    return FakeGrade()


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    return root


def student(root, name, grade="full", **files):
    folder = root / name
    (folder / "app").mkdir(parents=True, exist_ok=True)
    (folder / "app" / "main.py").write_text(f"# {name}\n")
    (folder / "grade.txt").write_text(grade)
    for path, text in files.items():
        (folder / path).write_text(text)
    return folder


def run(root, fake, **kwargs):
    kwargs.setdefault("backend", "local")  # passed to the fake as is
    return batch(lab="00-hello", submissions=root, grade=fake, **kwargs)


def gradebook(summary):
    with open(summary.gradebook, newline="") as f:
        return list(csv.DictReader(f))


def test_every_student_gets_a_json_and_one_gradebook_row(klass, fake):
    student(klass, "alice", "full")
    student(klass, "bob", "half")
    student(klass, "carol", "zero")
    summary = run(klass, fake, jobs=3)
    assert (summary.graded, summary.cached, summary.errors, summary.exit_code) == (3, 0, 0, 0)
    assert summary.out == klass.parent / "grades-00-hello" == default_out("00-hello", klass)
    rows = gradebook(summary)
    assert list(rows[0]) == ["student", "status", "score", "max_score", *PARTS, "message"]
    assert [(r["student"], r["status"], r["score"], r["max_score"]) for r in rows] == [
        ("alice", "passed", "17", "17"),
        ("bob", "failed", "4", "17"),
        ("carol", "failed", "0", "17"),
    ]
    assert [rows[1][p] for p in PARTS] == ["3", "1", "0", "0"]
    schema = json.loads(SCHEMA_PATH.read_text())
    for row in summary.students:
        data = json.loads(row.results_path.read_text())
        jsonschema.validate(data, schema)
        assert row.results_path == summary.out / "results" / f"{row.student}.json"
        assert data["score"] == row.score


def test_a_rerun_grades_nothing_again_and_a_changed_submission_only(klass, fake):
    for name in ("alice", "bob", "carol"):
        student(klass, name, "half")
    run(klass, fake)
    assert fake.graded() == ["alice", "bob", "carol"]
    again = run(klass, fake)
    assert len(fake.calls) == 3 and (again.graded, again.cached, again.exit_code) == (0, 3, 0)
    (klass / "bob" / "grade.txt").write_text("full")
    third = run(klass, fake)
    assert fake.graded() == ["alice", "bob", "bob", "carol"] and (third.graded, third.cached) == (1, 2)
    rows = gradebook(third)
    assert [(r["student"], r["score"]) for r in rows] == [("alice", "4"), ("bob", "17"), ("carol", "4")]


def test_the_key_ignores_caches_and_compiled_code_but_not_names_bytes_or_modes(klass):
    context = grading_context(MANIFEST)
    folder = student(klass, "alice")
    key = cache_key(context, folder)
    (folder / "app" / "__pycache__").mkdir()
    (folder / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0junk")
    (folder / ".pytest_cache").mkdir()
    (folder / ".pytest_cache" / "v").write_text("x")
    (folder / "stray.pyc").write_bytes(b"\0")
    (folder / "native.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    assert cache_key(context, folder) == key
    (folder / "app" / "main.py").write_text("# alice!\n")
    changed = cache_key(context, folder)
    assert changed != key
    (folder / "app" / "main.py").rename(folder / "app" / "other.py")
    renamed = cache_key(context, folder)
    assert renamed not in (key, changed)
    (folder / "app" / "other.py").chmod(0o755)
    assert cache_key(context, folder) != renamed, "an executable bit is staged, so it is hashed"


def test_a_submission_with_a_link_gets_no_key(klass):
    folder = student(klass, "alice")
    (folder / "link").symlink_to("/etc/hostname")
    with pytest.raises(GraderError, match=r"symbolic link \(link\)"):
        cache_key(grading_context(MANIFEST), folder)


def test_a_changed_hidden_suite_regrades_everyone(klass, fake, tmp_path):
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR / "00-hello", suites / "00-hello")
    student(klass, "alice")
    student(klass, "bob")
    run(klass, fake, suites_dir=suites)
    run(klass, fake, suites_dir=suites)
    assert len(fake.calls) == 2
    with open(suites / "00-hello" / "test_health.py", "a") as f:
        f.write("\n# a stricter test\n")
    assert run(klass, fake, suites_dir=suites).graded == 2
    assert len(fake.calls) == 4


def test_infrastructure_errors_are_stored_but_never_cached(klass, fake):
    student(klass, "alice", "docker-down")
    student(klass, "bob", "docker-broke")
    student(klass, "carol", "full")
    first = run(klass, fake)
    assert (first.graded, first.errors, first.exit_code) == (1, 2, 2)
    rows = {r["student"]: r for r in gradebook(first)}
    assert (rows["alice"]["status"], rows["alice"]["health"]) == ("error", "")
    assert rows["alice"]["message"].startswith("Docker is not available")
    assert (rows["bob"]["status"], rows["bob"]["message"]) == (
        "error",
        "Docker failed while grading: 404 container not found",
    )
    assert json.loads((first.out / "results" / "alice.json").read_text())["status"] == "error"
    assert sorted(p.name for p in (first.out / "cache").iterdir()) == ["carol.key"]
    run(klass, fake)
    assert fake.graded() == ["alice", "alice", "bob", "bob", "carol"]
    (klass / "alice" / "grade.txt").write_text("full")  # Docker is back: nothing else changed
    (klass / "bob" / "grade.txt").write_text("half")
    assert run(klass, fake).exit_code == 0
    final = run(klass, fake)
    assert (final.graded, final.cached, final.errors) == (0, 3, 0)


def test_an_exception_in_the_grader_is_one_students_error_row(klass, fake):
    student(klass, "alice", "raise")
    student(klass, "bob", "full")
    summary = run(klass, fake, jobs=2)
    rows = {r["student"]: r for r in gradebook(summary)}
    assert rows["alice"]["status"] == "error" and "RuntimeError: the fake grader fell over" in rows["alice"]["message"]
    assert rows["bob"]["status"] == "passed"
    assert summary.exit_code == 2
    run(klass, fake)
    assert fake.graded() == ["alice", "alice", "bob"]


def test_entries_that_are_no_submission_get_a_clear_error_row(klass, fake, tmp_path):
    student(klass, "alice")
    (klass / "empty").mkdir()
    (klass / "only-cache" / "__pycache__").mkdir(parents=True)
    (klass / "only-cache" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (klass / "notes.txt").write_text("not a student")
    outside = student(tmp_path, "outsider")
    (klass / "sneaky").symlink_to(outside)
    (klass / "broken").symlink_to(tmp_path / "nowhere")
    (klass / "alias").symlink_to(klass / "alice")  # inside the class: graded as alice's twin
    (klass / ".hidden").mkdir()
    (klass / ".DS_Store").write_text("")
    summary = run(klass, fake)
    rows = {r["student"]: (r["status"], r["message"]) for r in gradebook(summary)}
    assert rows == {
        "alias": ("passed", "17 points"),
        "alice": ("passed", "17 points"),
        "broken": ("error", "a broken symlink: a submission is a folder named by the student id"),
        "empty": ("error", "the submission is empty"),
        "notes.txt": ("error", "not a folder: a submission is a folder named by the student id"),
        "only-cache": ("error", "the submission is empty"),
        "sneaky": ("error", "the student's folder is a symlink to outside the submissions directory"),
    }
    assert fake.graded() == ["alice", "alice"]
    assert (summary.graded, summary.errors, summary.exit_code) == (2, 5, 2)


def test_subdir_grades_a_folder_inside_each_students(klass, fake, tmp_path):
    student(klass / "alice", "lab", "full")
    student(klass / "bob", "lab", "half")
    (klass / "carol" / "notes").mkdir(parents=True)
    (klass / "dave").mkdir()
    (klass / "dave" / "lab").symlink_to(student(tmp_path, "elsewhere"))
    summary = run(klass, fake, subdir="lab", out=tmp_path / "out")
    rows = {r["student"]: (r["status"], r["score"], r["message"]) for r in gradebook(summary)}
    assert rows == {
        "alice": ("passed", "17", "17 points"),
        "bob": ("failed", "4", "4 points"),
        "carol": ("error", "0", "no lab/ folder in the student's folder"),
        "dave": ("error", "0", "lab/ is a symlink to outside the student's folder"),
    }
    assert summary.gradebook == tmp_path / "out" / "gradebook.csv"
    for bad in ("../lab", "/lab", ""):
        with pytest.raises(GraderError, match="--subdir"):
            run(klass, fake, subdir=bad)


def test_an_output_folder_inside_the_class_is_not_a_student(klass, fake):
    student(klass, "alice")
    summary = run(klass, fake, out=klass / "grades")
    run(klass, fake, out=klass / "grades")
    assert [r["student"] for r in gradebook(summary)] == ["alice"] and fake.graded() == ["alice"]


def test_a_local_grade_is_redone_when_the_batch_runs_on_docker(klass, fake):
    student(klass, "alice")
    run(klass, fake, backend="local")
    run(klass, fake, backend="local")
    run(klass, fake, backend="docker")
    run(klass, fake, backend="docker")
    run(klass, fake, backend="local")  # a Docker grade is the better one: kept
    assert len(fake.calls) == 2


def test_ctrl_c_keeps_what_finished_and_a_rerun_grades_the_rest(klass, fake, monkeypatch):
    for name in ("alice", "bob", "carol", "dave"):
        student(klass, name, "half")
    stopping = threading.Event()  # the gradings after the first wait until the batch stops them

    def slow_after_the_first(**kwargs):
        if fake.calls:
            stopping.wait(timeout=30)
        return fake(**kwargs)

    def stop_running(futures, backend):
        stopping.set()
        original_stop_running(futures, backend)

    original_stop_running = grader._batch.run.stop_running
    monkeypatch.setattr(grader._batch.run, "stop_running", stop_running)

    def interrupt_after_the_first(done, total, latest):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(BatchInterrupted) as caught:
        run(klass, slow_after_the_first, jobs=1, progress=interrupt_after_the_first)
    summary = caught.value.summary
    assert isinstance(caught.value, KeyboardInterrupt) and summary.interrupted and summary.exit_code == 130
    graded_before = len(fake.calls)
    assert graded_before < 4  # the pending ones were cancelled
    rows = gradebook(summary)
    assert [r["student"] for r in rows] == ["alice", "bob", "carol", "dave"]
    finished = [r for r in rows if r["status"] == "failed"]
    assert len(finished) >= 1 and all(r["score"] == "4" for r in finished)
    assert all(r["message"] == "not graded: the batch was interrupted" for r in rows if r["status"] == "error")
    rest = run(klass, fake)
    assert (rest.cached, rest.graded, rest.exit_code) == (len(finished), 4 - len(finished), 0)
    assert len(fake.calls) == graded_before + 4 - len(finished)


def test_progress_counts_every_student_once(klass, fake):
    for name in ("alice", "bob", "carol"):
        student(klass, name)
    (klass / "empty").mkdir()
    events = []
    run(klass, fake, progress=lambda done, total, latest: events.append((done, total, latest and latest.student)))
    assert events[0] == (0, 4, None)
    assert [e[0] for e in events] == [0, 1, 2, 3, 4] and {e[2] for e in events[1:]} == {
        "alice",
        "bob",
        "carol",
        "empty",
    }
    events.clear()
    run(klass, fake, progress=lambda done, total, latest: events.append((done, total, latest and latest.cached)))
    assert [e[:2] for e in events] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert sorted(e[2] for e in events[1:]) == [False, True, True, True]  # the empty one is no cache hit


def test_what_stops_the_whole_batch_is_one_grader_error(klass, fake, tmp_path):
    with pytest.raises(GraderError, match="no student folders"):
        run(klass, fake)
    with pytest.raises(GraderError, match="submissions directory not found"):
        run(tmp_path / "nope", fake)
    student(klass, "alice")
    with pytest.raises(GraderError, match="unknown lab"):
        batch(lab="99-nope", submissions=klass, grade=fake)
    with pytest.raises(GraderError, match="--jobs"):
        run(klass, fake, jobs=0)
    with pytest.raises(GraderError, match="unknown backend"):
        batch(lab="00-hello", submissions=klass, backend="carrier-pigeon")
    assert fake.calls == []


def test_long_messages_are_one_short_line_in_the_gradebook(klass):
    student(klass, "alice")

    def chatty(*, lab, submission, backend, suites_dir):
        return Results.error(lab=lab, message="line one\nline two " + "x" * 500, backend="none")

    summary = batch(lab="00-hello", submissions=klass, grade=chatty)
    message = gradebook(summary)[0]["message"]
    assert message.startswith("line one line two x") and message.endswith("...") and len(message) == 200


def test_student_ids_of_any_characters_get_files_no_other_id_shares(klass, fake):
    names = ["alice", "Alice", "ALICE", "bob smith", "=cmd|' -C calc'!A0", "new\nline", "é" * 120, "x-0123456789abcdef"]
    for name in names:
        student(klass, name, "half")
    summary = run(klass, fake, jobs=4)
    assert summary.errors == 0 and sorted(s.student for s in summary.students) == sorted(names)
    paths = [s.results_path for s in summary.students]
    assert len({p.name.lower() for p in paths}) == len(names), "no two ids share a file, whatever the disk's case"
    assert all(len(p.name.encode()) <= 255 and "/" not in p.name and "\n" not in p.name for p in paths)
    assert (summary.out / "results" / "alice.json").is_file(), "a plain id keeps its own name"
    assert len(list((summary.out / "logs").iterdir())) == len(names)
    assert gradebook(summary)[0]["student"].startswith("'="), "a formula-like id is text"


def test_one_students_broken_submission_changes_no_other_row(klass, fake):
    student(klass, "alice", "full")
    (student(klass, "mallory", "full") / "link").symlink_to("../alice/app/main.py")
    summary = run(klass, fake)
    rows = {r["student"]: r for r in gradebook(summary)}
    assert (rows["alice"]["status"], rows["alice"]["score"]) == ("passed", "17")
    assert rows["mallory"]["status"] == "error" and "symbolic link (link)" in rows["mallory"]["message"]
    assert fake.graded() == ["alice"]
