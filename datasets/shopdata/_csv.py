"""CSV export and import: the committed default dataset is written by export_csv()."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO, cast

from sqlalchemy import DateTime, Integer, Table

from ._generate import DEFAULT_ORDERS, DEFAULT_SEED, Batch, Row, generate
from .schema import TABLES

DATA_DIR = Path(__file__).parent / "data"  # the committed default dataset


def export_csv(
    directory: str | Path,
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    compress: bool = False,
    batch_size: int = 10_000,
) -> dict[str, Path]:
    """Write one ``<table>.csv`` (or ``.csv.gz``) per table; same arguments, same bytes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths, writers = {}, {}
    with ExitStack() as stack:
        for table in TABLES:
            path = directory / f"{table.name}.csv{'.gz' if compress else ''}"
            other = directory / f"{table.name}.csv{'' if compress else '.gz'}"
            other.unlink(missing_ok=True)  # never leave two versions side by side
            writer = csv.writer(stack.enter_context(_open_text(path, "w")), lineterminator="\n")
            writer.writerow(table.columns.keys())
            paths[table.name], writers[table.name] = path, (writer, table.columns.keys())
        for name, rows in generate(orders=orders, seed=seed, batch_size=batch_size):
            writer, columns = writers[name]
            writer.writerows([_format(row[c]) for c in columns] for row in rows)
    return paths


def read_csv(directory: str | Path | None = None, *, batch_size: int = 10_000) -> Iterator[Batch]:
    """Yield ``(table_name, rows)`` batches read back from export_csv()'s files, typed."""
    directory = DATA_DIR if directory is None else Path(directory)
    for table in TABLES:
        path = directory / f"{table.name}.csv"
        if not path.exists():
            path = path.with_name(path.name + ".gz")
        parsers = [(c.name, _parser(table, c.name)) for c in table.columns]
        with _open_text(path, "r") as f:
            reader = csv.reader(f)
            header = next(reader)
            if header != [name for name, _ in parsers]:
                raise ValueError(f"{path}: columns {header} do not match table {table.name}")
            rows: list[Row] = []
            for record in reader:
                rows.append({name: parse(v) for (name, parse), v in zip(parsers, record)})
                if len(rows) >= batch_size:
                    yield table.name, rows
                    rows = []
            if rows:
                yield table.name, rows


def _format(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # always UTC
    return value


def _parser(table: Table, column: str) -> Callable[[str], object]:
    type_ = table.c[column].type
    if isinstance(type_, Integer):
        return int
    if isinstance(type_, DateTime):
        return datetime.fromisoformat
    return str


@contextmanager
def _open_text(path: Path, mode: str) -> Iterator[TextIO]:
    """Open plain or gzip text; gzip is written with mtime=0 and no name: reproducible bytes."""
    if path.suffix != ".gz":
        with open(path, mode, encoding="utf-8", newline="") as plain:
            yield cast(TextIO, plain)  # open() with a mode in a variable: typeshed cannot tell it is text
        return
    with (
        open(path, mode + "b") as raw,
        gzip.GzipFile(filename="", mode=mode + "b", fileobj=raw, mtime=0, compresslevel=6) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="") as f,
    ):
        yield f
