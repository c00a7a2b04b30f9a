"""Run a submitted notebook in the sandbox: nbclient as the trusted process, its kernel as the learner.

During ``nbgrader autograde`` the course's ``SandboxedExecute`` step (``grader._nbgrader``) starts
``python -m grader._sandbox.notebook`` as root in a grading container, with ``GRADER_NOTEBOOK_CONFIG``
set to a :class:`NotebookConfig`. This process:

1. executes the notebook with nbclient, under nbgrader's Execute settings (a per-cell timeout
   that interrupts the cell, errors recorded and the next cells run);
2. starts the kernel through a kernelspec whose command is this module's ``kernel`` mode: it
   drops to the learner's uid and gid, copies the student's assignment folder (read-only at
   ``source_dir``) to ``work_dir`` on the container's tmpfs, and execs ipykernel there with an
   environment of its own. The kernel works on a copy, so nothing it does can change the
   ``lab/`` folder that is graded next, or any file of the instructor's;
3. writes the notebook (nbformat JSON) to ``output`` after every cell, with
   ``metadata.grader = {"completed": <cells done>, "stopped": <why it stopped early, or null>}``.
   The private directory is not reachable by the learner; if the container is killed (memory, the
   deadline), the host still has every cell up to the last one that finished.

The host marks the cells that did not run (see ``grader._nbgrader``): this module only reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from .._files import write_atomically

ENV_VAR = "GRADER_NOTEBOOK_CONFIG"
KERNEL_NAME = "learner"
CELL_OUTPUT_LIMIT = 5 * 1024 * 1024  # bytes of JSON per cell; beyond, the cell's outputs become one error


@dataclasses.dataclass(frozen=True)
class NotebookConfig:
    notebook: str  # the notebook to run (private)
    output: str  # where the executed notebook goes (private)
    private_dir: str  # kernelspec, connection files, the output: root only
    source_dir: str  # the assignment folder, read-only
    work_dir: str  # the learner's copy of it: the kernel's working directory
    home_dir: str  # the learner's HOME
    learner_uid: int
    learner_gid: int
    kernel_env: dict[str, str]  # on top of PATH, HOME, TMPDIR and LANG
    deadline_s: float  # for the whole notebook
    # nbgrader's Execute settings
    timeout: int | None = 30
    interrupt_on_timeout: bool = True
    raise_on_iopub_timeout: bool = True
    error_on_timeout: dict | None = None
    extra_arguments: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> NotebookConfig:
        data = json.loads(os.environ[ENV_VAR])
        data["extra_arguments"] = tuple(data.get("extra_arguments", ()))
        return cls(**data)


def _write_kernelspec(cfg: NotebookConfig) -> None:
    spec_dir = Path(cfg.private_dir, "jupyter", "kernels", KERNEL_NAME)
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "grader._sandbox.notebook", "kernel", "{connection_file}"]
    (spec_dir / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (sandbox)", "language": "python"})
    )
    # nbclient and jupyter_client find the kernelspec, and put connection files, here only.
    os.environ.update(
        JUPYTER_PATH=str(spec_dir.parents[1]),
        JUPYTER_RUNTIME_DIR=f"{cfg.private_dir}/runtime",
        JUPYTER_CONFIG_DIR=f"{cfg.private_dir}/config",
        JUPYTER_DATA_DIR=f"{cfg.private_dir}/data",
        JUPYTER_PLATFORM_DIRS="1",
    )


def _save(cfg: NotebookConfig, nb, completed: int, stopped: str | None) -> None:
    import nbformat

    nb.metadata["grader"] = {"completed": completed, "stopped": stopped}
    write_atomically(Path(cfg.output), nbformat.writes(nb))


def _record_reply_error(cell, execute_reply) -> None:
    """As nbgrader's Execute does: an error reply whose error is not among the outputs (a timeout)
    is added to them, so that the cell scores 0."""
    import nbformat

    content = execute_reply["content"]
    if content["status"] != "error":
        return
    if any(o.output_type == "error" and o.get("ename") == content["ename"] for o in cell.outputs):
        return
    cell.outputs.append(
        nbformat.v4.new_output(
            "error",
            ename=content["ename"],
            evalue=content["evalue"],
            traceback=content["traceback"] or ["ERROR: An error occurred while showtraceback was disabled"],
        )
    )


def _limit_outputs(cell) -> None:
    import nbformat

    size = len(json.dumps(cell.outputs))
    if size > CELL_OUTPUT_LIMIT:
        message = (
            f"this cell's output ({size / 2**20:.0f} MB) is over the sandbox's {CELL_OUTPUT_LIMIT // 2**20} MB limit"
        )
        cell.outputs = [nbformat.v4.new_output("error", ename="OutputLimit", evalue=message, traceback=[message])]


async def _execute(client, deadline_s: float) -> str | None:
    """Execute, or stop at the deadline (why it stopped, or None); what the execution raised, raises."""
    task = asyncio.ensure_future(client.async_execute())
    done, _ = await asyncio.wait({task}, timeout=deadline_s)
    if not done:
        task.cancel()  # nbclient shuts its kernel down on the way out
        with contextlib.suppress(BaseException):
            await task
        return f"the notebook did not finish within its {deadline_s:g} s limit"
    task.result()
    return None


def run(cfg: NotebookConfig) -> None:
    import nbformat
    from nbclient import NotebookClient

    os.umask(0o022)  # the host's user reads the output; /opt/grader (0700) keeps the learner out
    nb = nbformat.read(cfg.notebook, as_version=4)
    progress = {"completed": 0}

    def executed(cell, cell_index, execute_reply):
        _record_reply_error(cell, execute_reply)
        _limit_outputs(cell)
        progress["completed"] = cell_index + 1
        _save(cfg, nb, cell_index + 1, None)

    options: dict[str, Any] = {"error_on_timeout": cfg.error_on_timeout} if cfg.error_on_timeout else {}
    stopped = None
    try:
        _write_kernelspec(cfg)
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=cfg.timeout,
            interrupt_on_timeout=cfg.interrupt_on_timeout,
            raise_on_iopub_timeout=cfg.raise_on_iopub_timeout,
            allow_errors=True,
            extra_arguments=list(cfg.extra_arguments),
            resources={"metadata": {"path": "/tmp"}},  # the kernel moves on
            on_cell_executed=executed,
            **options,
        )
        stopped = asyncio.run(_execute(client, cfg.deadline_s))
    except Exception as exc:
        stopped = f"the notebook stopped: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
    _save(cfg, nb, len(nb.cells) if stopped is None else progress["completed"], stopped)


def kernel(connection_path: str, *kernel_args: str) -> None:
    """The kernelspec's command, started by nbclient as root: become the learner, make the learner's
    copy of the assignment folder, and exec ipykernel there with an environment of its own."""
    cfg = NotebookConfig.from_env()
    connection = Path(connection_path).read_bytes()  # root-only: read before the drop
    os.setgroups([])
    os.setgid(cfg.learner_gid)
    os.setuid(cfg.learner_uid)
    os.umask(0o022)
    os.makedirs(cfg.home_dir, mode=0o700, exist_ok=True)
    shutil.copytree(cfg.source_dir, cfg.work_dir, symlinks=True, dirs_exist_ok=True)
    os.chdir(cfg.work_dir)
    connection_file = Path(cfg.home_dir, ".kernel.json")
    connection_file.write_bytes(connection)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": cfg.home_dir,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        **cfg.kernel_env,
    }
    os.execve(
        sys.executable,
        [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            str(connection_file),
            "--HistoryManager.hist_file=:memory:",
            *kernel_args,
        ],
        env,
    )


def main() -> None:
    if sys.argv[1:2] == ["kernel"]:
        kernel(*sys.argv[2:])
    else:
        run(NotebookConfig.from_env())


if __name__ == "__main__":
    main()
