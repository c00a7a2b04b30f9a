"""The learner's side of the sandbox: the only grader code that runs as the learner.

It is copied to a world-readable scratch file and started with ``python -I -u -B``, so
nothing in the submission (``sitecustomize.py``, ``.pth`` files, ``PYTHON*`` variables)
runs before it. Two modes:

``http --app module:attr --port N``
    serve the learner's ASGI app with uvicorn on 127.0.0.1:N.

``module --module pkg.mod -- ARGS...``
    run the learner's module as ``python -m pkg.mod ARGS...`` would (a worker, a CLI).

``calls --requests FD --responses FD``
    read JSON requests ``{"id", "module", "function", "args", "kwargs"}`` one per line,
    call the learner's function, answer ``{"id", "ok": true, "value"}`` or
    ``{"id", "ok": false, "error": {"type", "message", "traceback"}}``. Only JSON crosses
    back, so no learner object (an ``__eq__`` that always says yes...) reaches a test.

``spare REQUESTS RESPONSES MODULE...``
    a process started ahead of need: import these trusted, installed modules (the lab's
    ``preload``: FastAPI, SQLAlchemy...), then wait for one JSON line on stdin, ``{"argv",
    "env"}``: take that environment and go on in that argv's mode (``calls`` on the two pipes
    REQUESTS and RESPONSES, which any other mode closes). The seconds the imports take pass
    while the tests run, not when a test starts an app. Nothing of the submission is on
    ``sys.path`` yet, so what is preloaded is the installed package.
"""

import argparse
import importlib
import json
import os
import resource
import runpy
import sys
import traceback


def _limit_memory(megabytes: int) -> None:
    # One allocation bigger than the whole sandbox fails at once with MemoryError in the learner's
    # own code, instead of a slow, racy out-of-memory kill of whichever process the kernel picks.
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _become_first_to_die() -> None:
    # If the sandbox runs out of memory, the kernel should kill learner code, not the grader.
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def _serve_http(app: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _error(exc: BaseException) -> dict:
    tb = "".join(traceback.format_exception(exc))
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": tb[-4000:]}


def _answer(request: dict) -> dict:
    try:
        module = importlib.import_module(request["module"])
        function = getattr(module, request["function"])
        value = function(*request.get("args", []), **request.get("kwargs", {}))
        json.dumps(value)  # must be JSON-serialisable
        return {"id": request["id"], "ok": True, "value": value}
    except TypeError as exc:
        if "JSON serializable" in str(exc):
            exc = TypeError(f"the function returned something that is not JSON data: {exc}")
        return {"id": request["id"], "ok": False, "error": _error(exc)}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from learner code included
        return {"id": request["id"], "ok": False, "error": _error(exc)}


def _serve_calls(requests_fd: int, responses_fd: int) -> None:
    with open(requests_fd, encoding="utf-8") as requests, open(responses_fd, "w", encoding="utf-8") as responses:
        for line in requests:
            responses.write(json.dumps(_answer(json.loads(line))) + "\n")
            responses.flush()


def _wait_for_orders(requests: str, responses: str, *preload: str) -> list[str]:
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # not installed, or broken: the learner's own import says so, as without a spare
            pass
    line = sys.stdin.buffer.readline()
    if not line:  # the grader is gone (or stopped sparing): nothing to run
        sys.exit(0)
    orders = json.loads(line)
    devnull = os.open(os.devnull, os.O_RDONLY)  # as a process started at once: stdin is /dev/null
    os.dup2(devnull, 0)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(orders["env"])
    if orders["argv"][0] != "calls":
        os.close(int(requests))
        os.close(int(responses))
    return list(orders["argv"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["http", "calls", "module"])
    parser.add_argument("--submission", required=True)
    parser.add_argument("--app")
    parser.add_argument("--port", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--responses", type=int)
    parser.add_argument("--module")
    parser.add_argument("--memory-mb", type=int, default=0)
    argv = sys.argv[1:]
    if argv[:1] == ["spare"]:
        argv = _wait_for_orders(*argv[1:])
    split = argv.index("--") if "--" in argv else len(argv)  # after "--": the module's own arguments
    args = parser.parse_args(argv[:split])
    args.argv = argv[split + 1 :]

    _limit_memory(args.memory_mb)
    _become_first_to_die()
    os.chdir(args.submission)
    sys.path.insert(0, args.submission)
    if args.mode == "http":
        _serve_http(args.app, args.port)
    elif args.mode == "module":
        sys.argv = [args.module, *args.argv]
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    else:
        _serve_calls(args.requests, args.responses)


if __name__ == "__main__":
    main()
