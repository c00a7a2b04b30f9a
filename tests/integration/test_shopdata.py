"""Tests of the Duck Shop's dataset generator (datasets/shopdata)."""

from __future__ import annotations

import gc
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

import shopdata
from shopdata import customers, order_items, orders, payments, products
from shopdata.__main__ import main as cli_main
from shopdata._catalogue import old_price_cents

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def rows_by_table(batches) -> dict[str, list[dict]]:
    tables = defaultdict(list)
    for name, rows in batches:
        tables[name].extend(rows)
    return dict(tables)


@pytest.fixture(scope="module")
def engine():
    """The committed default dataset, loaded into a fresh SQLite file."""
    engine = shopdata.default_engine()
    yield engine
    engine.dispose()


# --- the catalogue -----------------------------------------------------------------------


def test_first_five_products_are_the_ones_lab_00_sells():
    first_five = [(p.sku, p.name, p.price_cents) for p in shopdata.CATALOGUE[:5]]
    assert first_five == [
        ("DUCK-001", "Classic Yellow Duck", 499),
        ("DUCK-002", "Pirate Duck", 899),
        ("DUCK-003", "Astronaut Duck", 1299),
        ("DUCK-004", "Wizard Duck", 1099),
        ("DUCK-005", "Giant Bath Duck", 2499),
    ]
    skus = [p.sku for p in shopdata.CATALOGUE]
    assert skus == [f"DUCK-{i:03d}" for i in range(1, len(skus) + 1)]
    assert 35 <= len(skus) <= 45


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_rows_and_global_random_untouched():
    random.seed(123)
    state = random.getstate()
    first = rows_by_table(shopdata.generate(orders=1_000, seed=7, batch_size=300))
    second = rows_by_table(shopdata.generate(orders=1_000, seed=7, batch_size=1_000))
    assert first == second  # batch size changes the batching, never the data
    assert random.getstate() == state, "the generator must not use the global random state"
    other = rows_by_table(shopdata.generate(orders=1_000, seed=8))
    assert other["orders"] != first["orders"]
    assert other["customers"] != first["customers"]


def test_same_output_in_processes_with_different_hash_seeds(tmp_path):
    """Catches set- or hash-ordered data sneaking in (Faker's it_IT city() does that)."""
    digests = set()
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-m", "shopdata", "--orders", "1500", "--export", str(out)],
            check=True,
            env=env,
            capture_output=True,
        )
        digests.add(tuple(p.read_bytes() for p in sorted(out.iterdir())))
    assert len(digests) == 1


def test_generation_streams_in_batches():
    batches = shopdata.generate(orders=2_500, seed=1, batch_size=1_000)
    order_batches = [len(rows) for name, rows in batches if name == "orders"]
    assert order_batches == [1_000, 1_000, 500]


def test_committed_csvs_equal_a_fresh_regeneration(tmp_path):
    committed = sorted(p.name for p in shopdata.DATA_DIR.iterdir())
    assert committed == sorted(f"{t.name}.csv" for t in shopdata.metadata.sorted_tables)
    assert sum(p.stat().st_size for p in shopdata.DATA_DIR.iterdir()) < 5_000_000
    shopdata.export_csv(tmp_path, orders=shopdata.DEFAULT_ORDERS, seed=shopdata.DEFAULT_SEED)
    for name in committed:
        assert (tmp_path / name).read_bytes() == (shopdata.DATA_DIR / name).read_bytes(), (
            f"{name} differs from a regeneration: don't edit the data by hand, run "
            f"`python -m shopdata --export datasets/shopdata/data`"
        )


def test_gzip_export_is_reproducible_and_reads_back(tmp_path):
    first = shopdata.export_csv(tmp_path / "a", orders=300, seed=3, compress=True)
    second = shopdata.export_csv(tmp_path / "b", orders=300, seed=3, compress=True)
    for table, path in first.items():
        assert path.name.endswith(".csv.gz")
        assert path.read_bytes() == second[table].read_bytes()
    assert rows_by_table(shopdata.read_csv(tmp_path / "a")) == rows_by_table(shopdata.generate(orders=300, seed=3))


# --- the loaded default dataset ------------------------------------------------------------


def test_default_dataset_sizes(engine):
    with engine.connect() as conn:
        count = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in shopdata.metadata.sorted_tables}
    assert count["orders"] == shopdata.DEFAULT_ORDERS
    assert count["products"] == len(shopdata.CATALOGUE)
    assert 0.15 * count["orders"] <= count["customers"] <= 0.3 * count["orders"]
    assert count["orders"] <= count["order_items"] <= 5 * count["orders"]


def test_referential_integrity_and_totals(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        all_orders = {o.id: o for o in conn.execute(select(orders))}
        items = defaultdict(list)
        for item in conn.execute(select(order_items)):
            items[item.order_id].append(item)
        pays = {p.order_id: p for p in conn.execute(select(payments))}
        signed_up = dict(conn.execute(select(customers.c.id, customers.c.created_at)).all())
        prices = dict(conn.execute(select(products.c.id, products.c.price_cents)).all())

    change = shopdata.PRICE_CHANGE_AT.replace(tzinfo=None)
    start, end = shopdata.START.replace(tzinfo=None), shopdata.END.replace(tzinfo=None)
    for order in all_orders.values():
        lines = items[order.id]
        assert 1 <= len(lines) <= 5
        assert len({line.product_id for line in lines}) == len(lines)
        assert order.total_cents == sum(line.quantity * line.unit_price_cents for line in lines)
        for line in lines:
            current = prices[line.product_id]
            assert line.unit_price_cents == (current if order.created_at >= change else old_price_cents(current))
        assert start <= order.created_at < end
        assert signed_up[order.customer_id] <= order.created_at
        payment = pays.get(order.id)
        if order.status in ("paid", "shipped"):
            assert payment is not None and payment.status == "captured"
        elif order.status == "pending":
            assert payment is None
        else:
            assert payment is None or payment.status in ("refunded", "failed")
        if payment is not None:
            assert payment.amount_cents == order.total_cents
            assert order.created_at <= payment.created_at < end


def test_the_data_looks_like_a_shop(engine):
    with engine.connect() as conn:
        created = conn.scalars(select(orders.c.created_at)).all()
        per_customer = Counter(conn.scalars(select(orders.c.customer_id)).all())
        units = Counter()
        for product_id, quantity in conn.execute(select(order_items.c.product_id, order_items.c.quantity)):
            units[product_id] += quantity
        statuses = Counter(conn.scalars(select(orders.c.status)).all())

    per_month = Counter((t.year, t.month) for t in created)
    assert len(per_month) == 24
    for year in (2024, 2025):
        rest = [n for (y, m), n in per_month.items() if y == year and m < 11]
        assert per_month[year, 12] > 1.5 * max(rest), "December is the peak"
    assert per_month[2025, 6] > per_month[2024, 6], "the shop grows"
    # Skewed: a few products and a few customers dominate.
    top5 = sum(n for _, n in units.most_common(5))
    assert top5 > 0.35 * sum(units.values())
    assert per_customer.most_common(1)[0][1] > 10 * sorted(per_customer.values())[len(per_customer) // 2]
    assert statuses["shipped"] > 0.8 * len(created)
    assert set(statuses) == set(shopdata.ORDER_STATUSES)


# --- constraints ------------------------------------------------------------------------------


def good_rows(conn) -> dict:
    """One valid new row per table; each bad case below breaks exactly one rule."""
    order_1_products = set(conn.scalars(select(order_items.c.product_id).where(order_items.c.order_id == 1)))
    free_product = min(set(range(1, 41)) - order_1_products)
    an_order_without_payment = conn.scalar(
        select(orders.c.id).where(orders.c.id.not_in(select(payments.c.order_id))).limit(1)
    )
    when = datetime(2025, 1, 1)
    return {
        "products": {"sku": "DUCK-999", "name": "Test Duck", "category": "test", "price_cents": 100, "stock": 1},
        "customers": {
            "email": "new@example.com",
            "name": "New",
            "city": "Duckburg",
            "country": "US",
            "created_at": when,
        },
        "orders": {"customer_id": 1, "status": "paid", "created_at": when, "total_cents": 0},
        "order_items": {"order_id": 1, "product_id": free_product, "quantity": 1, "unit_price_cents": 100},
        "payments": {
            "order_id": an_order_without_payment,
            "status": "captured",
            "method": "card",
            "amount_cents": 0,
            "created_at": when,
        },
        "customer 1": dict(conn.execute(select(customers).where(customers.c.id == 1)).mappings().one()),
        "item 1": dict(conn.execute(select(order_items).where(order_items.c.id == 1)).mappings().one()),
    }


BAD_ROWS = {  # case: (table, {column: bad value}, what SQLite's error says)
    "negative price": (products, {"price_cents": -1}, "ck_products_price_not_negative"),
    "negative stock": (products, {"stock": -1}, "ck_products_stock_not_negative"),
    "duplicate sku": (products, {"sku": "DUCK-001"}, "UNIQUE constraint failed: products.sku"),
    "missing name": (products, {"name": None}, "NOT NULL constraint failed: products.name"),
    "duplicate email": (customers, "customer 1", "UNIQUE constraint failed: customers.email"),
    "email without @": (customers, {"email": "duck"}, "ck_customers_email_has_at"),
    "unknown order status": (orders, {"status": "lost"}, "ck_orders_status_known"),
    "order of a missing customer": (orders, {"customer_id": 10**9}, "FOREIGN KEY constraint failed"),
    "negative total": (orders, {"total_cents": -1}, "ck_orders_total_not_negative"),
    "quantity zero": (order_items, {"quantity": 0}, "ck_order_items_quantity_positive"),
    "item of a missing product": (order_items, {"product_id": 10**9}, "FOREIGN KEY constraint failed"),
    "second line for a product": (order_items, "item 1", "UNIQUE constraint failed: order_items.order_id"),
    "second payment for an order": (payments, {"order_id": 1}, "UNIQUE constraint failed: payments.order_id"),
    "negative payment": (payments, {"amount_cents": -5}, "ck_payments_amount_not_negative"),
    "unknown payment method": (payments, {"method": "iou"}, "ck_payments_method_known"),
}


def test_the_good_rows_are_accepted(engine):
    with engine.connect() as conn:
        rows = good_rows(conn)
        for table in shopdata.metadata.sorted_tables:
            conn.execute(insert(table), rows[table.name])
        conn.rollback()


@pytest.mark.parametrize("case", BAD_ROWS)
def test_constraints_reject_bad_rows(engine, case):
    table, change, error = BAD_ROWS[case]
    with engine.connect() as conn:
        rows = good_rows(conn)
        if isinstance(change, str):  # an existing row, inserted again under a new id
            row = {k: v for k, v in rows[change].items() if k != "id"}
        else:
            row = {**rows[table.name], **change}
        with pytest.raises(IntegrityError, match=error):
            conn.execute(insert(table), row)
        conn.rollback()


# --- loading ---------------------------------------------------------------------------------


def test_load_20k_orders_into_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    started = time.perf_counter()
    counts = shopdata.load(url, orders=20_000, seed=11, batch_size=5_000)
    elapsed = time.perf_counter() - started
    assert counts["orders"] == 20_000 and counts["products"] == 40
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 20_000
        assert conn.scalar(select(func.count()).select_from(order_items)) == counts["order_items"]
        mismatched = conn.scalar(
            text(
                "SELECT count(*) FROM orders o WHERE total_cents != "
                "(SELECT sum(quantity * unit_price_cents) FROM order_items i WHERE i.order_id = o.id)"
            )
        )
        assert mismatched == 0
    engine.dispose()
    assert elapsed < 20, f"loading 20,000 orders took {elapsed:.1f} s"


def test_load_refuses_to_mix_with_existing_rows_unless_replace(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shopdata.load(url, orders=100)
    with pytest.raises(IntegrityError):
        shopdata.load(url, orders=100)
    assert shopdata.load(url, orders=50, replace=True)["orders"] == 50
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 50  # the failed load left nothing
    engine.dispose()


def test_sqlite_copy(tmp_path):
    path = shopdata.sqlite_copy(tmp_path / "nested" / "shop.db")
    assert path.exists()
    with pytest.raises(FileExistsError):
        shopdata.sqlite_copy(path)
    shopdata.sqlite_copy(path, overwrite=True)
    engine = shopdata.sqlite_engine(path)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == shopdata.DEFAULT_ORDERS
    engine.dispose()
    assert sorted(p.name for p in path.parent.iterdir()) == ["shop.db"]


def test_default_engines_are_independent_and_fast():
    started = time.perf_counter()
    first, second = shopdata.default_engine(), shopdata.default_engine()
    assert time.perf_counter() - started < 10  # two of them; about 0.3 s each here
    with first.begin() as conn:
        conn.execute(products.update().values(stock=0))
    with second.connect() as conn:
        assert conn.scalar(select(func.sum(products.c.stock))) > 0
    directory = Path(first.url.database).parent
    first.dispose()
    del first
    gc.collect()  # an Engine holds reference cycles
    assert not directory.exists(), "the temporary database goes away with its engine"


def test_cli_exports_and_loads(tmp_path, capsys):
    db = tmp_path / "cli.db"
    args = ["--orders", "200", "--seed", "5", "--url", f"sqlite:///{db}", "--export", str(tmp_path / "csv")]
    assert cli_main(args) == 0
    assert "200 orders" in capsys.readouterr().out
    assert (tmp_path / "csv" / "orders.csv").exists()
    with pytest.raises(SystemExit):
        cli_main(["--orders", "10"])  # nowhere to put the data


# --- PostgreSQL --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server in a temp dir, stopped and deleted afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql-15)")
    root = Path(tempfile.mkdtemp(prefix="shopdata-pg-"))
    as_user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the postgres system user
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root: PostgreSQL needs the 'postgres' system user (apt-get install postgresql-15)")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    data, port = root / "data", _free_port()

    def run(*args):
        result = subprocess.run([str(a) for a in args], cwd=root, capture_output=True, text=True, **as_user)
        assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"

    try:
        run(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        run(PG_BIN / "pg_ctl", "-D", data, "-l", root / "server.log", "-o", options, "-w", "-t", "30", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, cwd=root, capture_output=True, **as_user)
        shutil.rmtree(root, ignore_errors=True)


def _summary(conn):
    return {
        "counts": {t.name: conn.scalar(select(func.count()).select_from(t)) for t in shopdata.metadata.sorted_tables},
        "revenue": conn.scalar(select(func.sum(orders.c.total_cents))),
        "statuses": dict(conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status)).all()),
        "last_order": conn.execute(
            select(orders.c.id, orders.c.created_at).order_by(orders.c.id.desc()).limit(1)
        ).one(),
    }


def test_load_into_postgresql(postgres_url, engine):
    counts = shopdata.load(postgres_url, batch_size=700)  # the default seed and size
    pg = create_engine(postgres_url)
    try:
        with pg.connect() as conn:
            on_pg = _summary(conn)
            pg_time = on_pg.pop("last_order")
            created_at_type = conn.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'orders' AND column_name = 'created_at'"
                )
            )
            assert created_at_type == "timestamp with time zone"
        with engine.connect() as conn:
            on_sqlite = _summary(conn)
            sqlite_time = on_sqlite.pop("last_order")
        assert on_pg == on_sqlite  # the same shop, whatever the engine
        assert on_pg["counts"] == counts
        assert pg_time.id == sqlite_time.id
        assert pg_time.created_at.astimezone(UTC).replace(tzinfo=None) == sqlite_time.created_at

        with pg.begin() as conn:  # ids keep counting after the loaded rows
            new_id = conn.execute(
                insert(customers).returning(customers.c.id),
                {
                    "email": "new.duck.fan@example.com",
                    "name": "New Fan",
                    "city": "Duckburg",
                    "country": "US",
                    "created_at": shopdata.END,
                },
            ).scalar_one()
            assert new_id == counts["customers"] + 1
        with pg.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(products.update().where(products.c.id == 1).values(price_cents=-1))
    finally:
        pg.dispose()


def test_throwaway_servers_start_answer_and_vanish():
    import redis as redis_client

    from shopdata.servers import postgres, redis

    with postgres() as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        engine.dispose()
    with redis() as url:
        client = redis_client.Redis.from_url(url)
        assert client.ping()
        client.close()


def test_a_missing_server_is_one_clear_line(monkeypatch):
    import shopdata.servers as servers

    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(servers.ServerUnavailable, match="apt install redis-server"), servers.redis():
        pass
