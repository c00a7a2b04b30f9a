"""The Alembic history: builds the schema from empty, backfills, and goes down and up again (R10-R13)."""

from datetime import timedelta

import pytest
from _helpers import ENGINES, T0, Shop, add_customer, add_order, add_product, needs
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from grader.testing import call, fail

UPGRADE, DOWNGRADE = "app.migrate:upgrade", "app.migrate:downgrade"


def schema(db) -> dict:
    """What matters of a schema, comparable across two databases of the same engine."""
    inspector = inspect(db.engine)
    result = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        # The type with its arguments (VARCHAR(length=200)): a column the migration made wider or
        # narrower than the model's is another schema (R12).
        columns = {c["name"]: (c["nullable"], repr(c["type"])) for c in inspector.get_columns(table)}
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        uniques |= {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
        indexes = {tuple(i["column_names"]) for i in inspector.get_indexes(table) if not i["unique"]}
        fks = {
            (
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
                f["options"].get("ondelete"),
            )
            for f in inspector.get_foreign_keys(table)
        }
        checks = len(inspector.get_check_constraints(table))
        result[table] = {
            "columns": columns,
            "primary key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "unique": sorted(uniques),
            "indexes": sorted(indexes),
            "foreign keys": sorted(fks),
            "check constraints": checks,
        }
    return result


def diff(got: dict, want: dict, names=("the migrations", "the models")) -> str:
    lines = []
    for table in sorted(set(got) | set(want)):
        if table not in got or table not in want:
            lines.append(f"table {table}: only in {names[1] if table in want else names[0]}")
            continue
        for key in want[table]:
            if got[table][key] != want[table][key]:
                lines.append(f"{table} {key}: {names[0]} give {got[table][key]}, {names[1]} give {want[table][key]}")
    return "\n".join(lines)


def history_index(db) -> list:
    """Indexes on orders that start with customer_id (the history index, R9)."""
    return [i for i in inspect(db.engine).get_indexes("orders") if i["column_names"][:1] == ["customer_id"]]


def at_revision(learner, db, revision: str, target=UPGRADE):
    got = call(learner, target, db.url, revision)
    want = {"base": None, "head": "0002"}.get(revision, revision)
    assert got == want, (
        f"{target.rpartition(':')[2]}(url, {revision!r}) left the database at revision {got!r}; expected {want!r}"
    )


def old_orders(db) -> tuple[Shop, list[dict]]:
    """Rows written at revision 0001: orders with lines, and one without (and no total_cents yet)."""
    tables, shop = db.tables(), Shop()
    with db.engine.begin() as conn:
        customer = add_customer(conn, tables, "early@example.com")
        for n, price in enumerate((499, 1299, 2500), start=1):
            shop.products[f"DUCK-{n}"] = (add_product(conn, tables, f"DUCK-{n}", price, 50), price)
        lines = [
            [("DUCK-1", 2, 499)],
            [("DUCK-2", 1, 1299), ("DUCK-3", 3, 2400)],
            [("DUCK-1", 1, 450), ("DUCK-2", 12, 1200), ("DUCK-3", 1, 2500)],
            [],
        ]
        orders = [
            add_order(conn, tables, shop, customer, T0 + timedelta(hours=n), order_lines, with_total=False)
            for n, order_lines in enumerate(lines)
        ]
    return shop, orders


@pytest.mark.parametrize("kind", ENGINES)
def test_0001_creates_the_tables_without_totals(kind, new_db, learner):
    needs(learner, UPGRADE)
    db = new_db(kind)
    at_revision(learner, db, "0001")
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    want = {"customers", "products", "orders", "order_items"}
    assert tables == want, f"{kind}: revision 0001 has the tables {sorted(tables)}; expected {sorted(want)}"
    columns = {c["name"] for c in inspect(db.engine).get_columns("orders")}
    assert "total_cents" not in columns, f"{kind}: revision 0001 has orders.total_cents; expected 0002 to add it"
    assert not history_index(db), (
        f"{kind}: revision 0001 has the history index {history_index(db)}; expected 0002 to add it"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_0002_backfills_the_totals_and_keeps_every_row(kind, new_db, learner):
    needs(learner, UPGRADE)
    db = new_db(kind)
    at_revision(learner, db, "0001")
    _, orders = old_orders(db)
    lines_before = sorted(db.rows("SELECT order_id, product_id, quantity, unit_price_cents FROM order_items"))
    at_revision(learner, db, "0002")
    totals = dict(db.rows("SELECT id, total_cents FROM orders"))
    want = {o["id"]: sum(i["quantity"] * i["unit_price_cents"] for i in o["items"]) for o in orders}
    assert totals == want, (
        f"{kind}: after 0002, orders.total_cents (order id -> cents) is {totals}; expected {want}: the sum of the "
        "order's lines, 0 without lines"
    )
    lines_after = sorted(db.rows("SELECT order_id, product_id, quantity, unit_price_cents FROM order_items"))
    assert lines_after == lines_before, (
        f"{kind}: 0002 changed the order lines: {len(lines_before)} before, {len(lines_after)} after; expected them "
        "untouched (on SQLite, batch mode with foreign keys on would cascade: migrations/env.py switches them off)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_0002_drops_the_temporary_default(kind, new_db, learner):
    needs(learner, UPGRADE)
    db = new_db(kind)
    at_revision(learner, db, "head")
    tables = db.tables()
    with db.engine.begin() as conn:
        customer = add_customer(conn, tables, "late@example.com")
    try:
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO orders (customer_id, status, created_at) VALUES (:c, 'paid', :t)"),
                {"c": customer, "t": T0},
            )
    except IntegrityError:
        return
    total = db.scalar("SELECT total_cents FROM orders")
    fail(
        f"{kind}: after 0002 an order inserted without total_cents was stored with total_cents={total}; expected NOT "
        "NULL to refuse it - drop the server default after the backfill (batch_alter_table, alter_column)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_upgrade_from_empty_matches_the_models(kind, new_db, schema_db, learner):
    needs(learner, UPGRADE)
    migrated = new_db(kind)
    at_revision(learner, migrated, "head")
    models = schema_db(kind)
    difference = diff(schema(migrated), schema(models))
    assert not difference, f"{kind}: the migrated schema differs from the models' schema:\n" + difference


@pytest.mark.parametrize("kind", ENGINES)
def test_downgrade_then_upgrade_round_trips(kind, new_db, learner):
    needs(learner, UPGRADE)
    db = new_db(kind)
    at_revision(learner, db, "head")
    first = schema(db)
    at_revision(learner, db, "0001", DOWNGRADE)
    assert "total_cents" not in {c["name"] for c in inspect(db.engine).get_columns("orders")}, (
        f"{kind}: after downgrade to 0001, orders.total_cents is still there; expected 0002's downgrade to drop it"
    )
    kept = history_index(db)
    assert not kept, (
        f"{kind}: after downgrade to 0001 the history index is still there ({kept[0]['name']}); expected 0002's "
        "downgrade to drop it (R13)"
    )
    at_revision(learner, db, "base", DOWNGRADE)
    left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert not left, f"{kind}: after downgrade to base the tables {sorted(left)} are left; expected none"
    at_revision(learner, db, "head")
    difference = diff(schema(db), first, ("the second upgrade", "the first"))
    assert not difference, (
        f"{kind}: after down to base and up again the schema differs from the first upgrade:\n" + difference
    )
