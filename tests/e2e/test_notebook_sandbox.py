"""Autograde's notebooks in the grading container (SandboxedExecute): every lesson runs there, and
hostile notebook code stays inside - away from the instructor's files, the network and its limits.

The break-outs that a kernel on the instructor's machine would allow (a cell that copies a model
answer into lab/ before it is graded, say) are in test_nbgrader_course.py, through nbgrader itself.
"""

import hashlib
import time
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from grader._course import COURSE_DIR
from grader._lessons import CELL_PREFIX
from grader._nbgrader import SandboxedExecute

pytestmark = pytest.mark.docker
LESSONS = sorted(COURSE_DIR.glob("*.ipynb"))


def assignment(tmp_path: Path) -> Path:
    """eve's autograded assignment folder, with a lab/ in it."""
    folder = tmp_path / "autograded" / "eve" / "hw"
    (folder / "lab" / "app").mkdir(parents=True, exist_ok=True)
    (folder / "lab" / "app" / "pricing.py").write_text("def quote_total(items):\n    return 0\n")
    return folder


def execute(tmp_path: Path, notebook: nbformat.NotebookNode, **traits) -> nbformat.NotebookNode:
    """Run ``notebook`` as nbgrader's autograde would, in eve's assignment folder."""
    folder = assignment(tmp_path)
    step = SandboxedExecute(config=Config({"CourseDirectory": {"root": str(tmp_path)}}), **traits)
    resources = {
        "nbgrader": {"student": "eve", "assignment": "hw", "notebook": "hw"},
        "metadata": {"path": str(folder)},
    }
    executed, _ = step.preprocess(notebook, resources)
    return executed


def cells(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def stdout(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(
        b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in files)
    ).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_runs_in_the_grading_container(tmp_path, path):
    notebook = execute(tmp_path, nbformat.read(path, as_version=4), timeout=300)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code":
            continue
        if grade_id.startswith(CELL_PREFIX):  # they fail on purpose under autograde: LabGrades scores them
            assert errors(cell) and "LabGrades" in errors(cell)[0]
        else:  # the model answers pass every test, as in test_notebooks.py on the host
            assert not errors(cell), (grade_id or cell.source[:80], errors(cell))
            if cell.metadata.get("nbgrader", {}).get("grade"):
                assert not [o for o in cell.outputs if o.get("name") == "stderr"], grade_id


def test_the_kernel_is_the_learner_on_a_copy_with_no_network_and_no_grader(tmp_path):
    notebook = cells(
        "import os; print(os.getuid(), os.getcwd(), sorted(os.listdir('lab')))",
        "open('lab/app/pricing.py', 'w').write('def quote_total(items):\\n    return 999\\n'); print('rewrote my copy')",
        "try:\n    open('/submission/lab/app/pricing.py', 'w')\nexcept OSError as exc:\n    print('original:', exc.strerror)",
        "try:\n    os.listdir('/opt/grader')\nexcept OSError as exc:\n    print('grader:', exc.strerror)",
        "import socket\ntry:\n    socket.create_connection(('10.0.0.1', 80), timeout=3)\nexcept OSError as exc:\n    print('network:', exc.strerror or exc)",
        "print(sorted(k for k in os.environ if k.startswith(('GRADER', 'JUPYTER', 'PYTHONPATH='))), os.environ['NBGRADER_EXECUTION'])",
        "import shopdata; print('shopdata', shopdata.__name__)",
    )
    before = digest(assignment(tmp_path))
    executed = execute(tmp_path, notebook)
    out = [stdout(c) for c in executed.cells]
    assert out[0] == "10001 /tmp/work ['app']\n"
    assert out[1:4] == ["rewrote my copy\n", "original: Read-only file system\n", "grader: Permission denied\n"]
    assert out[4] == "network: Network is unreachable\n"
    assert out[5] == "[] autograde\n" and out[6] == "shopdata shopdata\n"
    assert digest(tmp_path / "autograded" / "eve" / "hw") == before  # the kernel changed only its copy


def test_a_cell_that_never_returns_is_interrupted_and_the_next_cells_run(tmp_path):
    executed = execute(tmp_path, cells("print('before')", "while True:\n    pass", "print('after')"), timeout=3)
    assert [stdout(c) for c in executed.cells] == ["before\n", "", "after\n"]
    assert errors(executed.cells[1]) and not errors(executed.cells[2])


def test_a_killed_kernel_keeps_what_ran_and_zeroes_the_rest(tmp_path):
    executed = execute(
        tmp_path, cells("print('before')", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "print('after')")
    )
    assert stdout(executed.cells[0]) == "before\n" and not errors(executed.cells[0])
    for cell in executed.cells[1:]:
        assert any("not run to the end in the grading sandbox" in e and "Kernel died" in e for e in errors(cell))


def test_a_notebook_past_its_deadline_is_stopped_with_the_reason(tmp_path):
    started = time.monotonic()
    executed = execute(
        tmp_path, cells("print('quick')", "import time; time.sleep(60)", "print('never')"), timeout=120, deadline=8
    )
    assert time.monotonic() - started < 40
    assert stdout(executed.cells[0]) == "quick\n"
    assert any("did not finish within its 8 s limit" in e for e in errors(executed.cells[2]))


def test_memory_beyond_the_limit_stops_the_notebook(tmp_path):
    executed = execute(tmp_path, cells("print('small')", "hog = bytearray(2 * 2**30)", "print('never')"), memory_mb=512)
    assert stdout(executed.cells[0]) == "small\n"
    assert any("ran out of memory (512 MB)" in e for e in errors(executed.cells[2]))


def test_a_fork_bomb_is_contained(tmp_path):
    started = time.monotonic()
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    executed = execute(tmp_path, cells("print('before')", bomb, "print('after')"), timeout=5, deadline=15, pids=64)
    assert time.monotonic() - started < 60
    assert stdout(executed.cells[0]) == "before\n"
    assert errors(executed.cells[1]) and errors(executed.cells[2])
