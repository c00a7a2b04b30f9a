"""python -m shopdata --orders N --seed S --url sqlite:///shop.db   (or --export DIR)"""

from __future__ import annotations

import argparse
import sys
import time

from ._csv import DATA_DIR, export_csv
from ._generate import DEFAULT_ORDERS, DEFAULT_SEED
from ._load import load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shopdata",
        description="Generate the Duck Shop's data (deterministic: same seed and size, same data).",
        epilog=f"Regenerate the committed dataset: python -m shopdata --export {DATA_DIR}",
    )
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help="number of orders (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--url", help="load into this database, e.g. sqlite:///shop.db or postgresql+psycopg://user@host/db"
    )
    parser.add_argument("--replace", action="store_true", help="drop and recreate the shop's tables first")
    parser.add_argument("--export", metavar="DIR", help="write one CSV file per table into DIR")
    parser.add_argument("--gzip", action="store_true", help="with --export: write .csv.gz files")
    parser.add_argument("--batch-size", type=int, default=10_000, help="orders per batch (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.url and not args.export:
        parser.error("say where the data goes: --url URL and/or --export DIR")
    if args.orders < 0 or args.batch_size < 1:
        parser.error("--orders must be >= 0 and --batch-size >= 1")

    options = {"orders": args.orders, "seed": args.seed, "batch_size": args.batch_size}
    if args.export:
        started = time.perf_counter()
        paths = export_csv(args.export, compress=args.gzip, **options)
        print(f"wrote {len(paths)} files to {args.export} in {time.perf_counter() - started:.1f} s")
    if args.url:
        started = time.perf_counter()
        counts = load(args.url, replace=args.replace, **options)
        rows = ", ".join(f"{n:,} {table}" for table, n in counts.items())
        print(f"loaded {rows} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
