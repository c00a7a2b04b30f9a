"""Lab 05's throughput: the untouched scaffold, a submission (the model answer unless told) and the
hidden suite's reference copy, each as two processes with the suite's settings on its own Redis and
catalogue (100 ms a query), read the way the hidden suite reads them: 100 hot products, 16 clients,
short slices taken in turns. A script, not a test: it prints a table (`make bench`).

    .venv/bin/python tests/bench/bench_lab05.py [SUBMISSION_DIR]

The course promises the model answer at least 10x the scaffold; the suite requires a quarter of the
reference's throughput.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader import load_manifest
from grader._paths import LABS_DIR, SOLUTIONS_DIR

SUITE = load_manifest("05-scaling").suite_dir
sys.path.insert(0, str(SUITE))  # the suite's own helpers: services, servers, load generator

from _downstream import DownstreamServer  # type: ignore[import-not-found]  # noqa: E402
from _servers import REFERENCE, RedisServer, ServedApp  # type: ignore[import-not-found]  # noqa: E402
from _shop import MAIN  # type: ignore[import-not-found]  # noqa: E402
from _throughput import CLIENTS, HOT, SLICE_S, Target, in_turns, warm  # type: ignore[import-not-found]  # noqa: E402

SLICES = 4


def two_processes(app_dir: Path, stack: ExitStack) -> list[str]:
    """The app in `app_dir` as two processes, on a Redis and a catalogue of its own: their URLs."""
    redis = RedisServer().start()
    stack.callback(redis.remove)
    catalogue = DownstreamServer().start()
    stack.callback(catalogue.stop)
    catalogue.slow_down(load_s=0.1)
    env = {**MAIN, "REDIS_URL": redis.url, "CATALOGUE_URL": catalogue.url, "RECOMMENDATIONS_URL": catalogue.url}
    apps = [ServedApp(env, app_dir=app_dir) for _ in range(2)]
    for app in apps:
        stack.callback(app.stop)
    return [app.wait_started().url for app in apps]


def main() -> None:
    submission = Path(sys.argv[1]) if len(sys.argv) > 1 else SOLUTIONS_DIR / "05-scaling"
    apps = {"scaffold": LABS_DIR / "05-scaling", f"submission ({submission.name})": submission, "reference": REFERENCE}
    with ExitStack() as stack:
        targets = {name: Target(two_processes(app_dir, stack)) for name, app_dir in apps.items()}
        for name, target in targets.items():
            if name != "scaffold":  # its every read is a query anyway
                warm(target.urls)
        reports = in_turns(targets, slices=SLICES)
    reference = reports["reference"].throughput
    table = Table(
        title=f"Lab 05: reads of {len(HOT)} hot products, {CLIENTS} clients, two processes each "
        f"({SLICES} slices of {SLICE_S} s, in turns)"
    )
    for column in ("app", "reads/s", "p50 ms", "p99 ms", "vs reference", "vs scaffold"):
        table.add_column(column, justify="left" if column == "app" else "right")
    scaffold = reports["scaffold"].throughput
    for name, report in reports.items():
        table.add_row(
            name,
            f"{report.throughput:.0f}",
            f"{report.percentile(50) * 1000:.0f}",
            f"{report.percentile(99) * 1000:.0f}",
            f"{report.throughput / reference:.2f}",
            f"{report.throughput / scaffold:.1f}x",
        )
    Console().print(table)
    print(f"the suite requires a submission to reach 1/4 of the reference (here {reference / 4:.0f} reads/s)")


if __name__ == "__main__":
    main()
