"""The Alembic history: builds the schema from empty, backfills, and goes down and up again."""

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from _helpers import ENGINES, T0, Shop, add_customer, add_order, add_product, call

UPGRADE, DOWNGRADE = "app.migrate:upgrade", "app.migrate:downgrade"


def schema(db) -> dict:
    """What matters of a schema, comparable across two databases of the same engine."""
    inspector = inspect(db.engine)
    result = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        columns = {c["name"]: (c["nullable"], type(c["type"]).__name__) for c in inspector.get_columns(table)}
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        uniques |= {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
        indexes = {tuple(i["column_names"]) for i in inspector.get_indexes(table) if not i["unique"]}
        fks = {(tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
               for f in inspector.get_foreign_keys(table)}
        checks = len(inspector.get_check_constraints(table))
        result[table] = {"columns": columns, "primary key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
                         "unique": sorted(uniques), "indexes": sorted(indexes), "foreign keys": sorted(fks),
                         "check constraints": checks}
    return result


def diff(migrated: dict, models: dict) -> str:
    lines = []
    for table in sorted(set(migrated) | set(models)):
        if table not in migrated or table not in models:
            lines.append(f"table {table}: {'missing after the migrations' if table in models else 'not in the models'}")
            continue
        for key in models[table]:
            if migrated[table][key] != models[table][key]:
                lines.append(f"{table} {key}: migrations give {migrated[table][key]}, models give {models[table][key]}")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ENGINES)
def test_upgrade_from_empty_matches_the_models(kind, new_db, schema_db, learner):
    migrated = new_db(kind)
    revision = call(learner, UPGRADE, migrated.url, "head")
    assert revision == "0002", f"after upgrade to head the database is at revision {revision!r}, expected '0002'"
    models = schema_db(kind)
    difference = diff(schema(migrated), schema(models))
    assert not difference, "the migrated schema differs from the models' schema:\n" + difference


@pytest.mark.parametrize("kind", ENGINES)
def test_the_second_migration_backfills_order_totals(kind, new_db, learner):
    db = new_db(kind)
    assert call(learner, UPGRADE, db.url, "0001") == "0001"
    columns = {c["name"] for c in inspect(db.engine).get_columns("orders")}
    assert "total_cents" not in columns, "revision 0001 has no orders.total_cents: 0002 adds it"
    tables, shop = db.tables(), Shop()
    with db.engine.begin() as conn:
        customer = add_customer(conn, tables, "early@example.com")
        for n, price in enumerate((499, 1299, 2500), start=1):
            shop.products[f"DUCK-{n}"] = (add_product(conn, tables, f"DUCK-{n}", price, 50), price)
        orders = [add_order(conn, tables, shop, customer, T0 + timedelta(hours=n), lines, with_total=False)
                  for n, lines in enumerate([[("DUCK-1", 2, 499)], [("DUCK-2", 1, 1299), ("DUCK-3", 3, 2400)],
                                             [("DUCK-1", 1, 450), ("DUCK-2", 12, 1200), ("DUCK-3", 1, 2500)]])]
        order_row = conn.execute(tables.tables["orders"].insert().returning(tables.tables["orders"].c.id),
                                 {"customer_id": customer, "status": "cancelled", "created_at": T0}).scalar_one()
    assert call(learner, UPGRADE, db.url, "head") == "0002"
    totals = dict(db.rows("SELECT id, total_cents FROM orders"))
    want = {o["id"]: sum(i["quantity"] * i["unit_price_cents"] for i in o["items"]) for o in orders}
    want[order_row] = 0
    assert totals == want, f"after 0002 orders.total_cents must be backfilled from the order lines: {totals}, expected {want}"


@pytest.mark.parametrize("kind", ENGINES)
def test_downgrade_then_upgrade_round_trips(kind, new_db, schema_db, learner):
    db = new_db(kind)
    call(learner, UPGRADE, db.url, "head")
    assert call(learner, DOWNGRADE, db.url, "0001") == "0001"
    inspector = inspect(db.engine)
    assert "total_cents" not in {c["name"] for c in inspector.get_columns("orders")}, "downgrade of 0002 drops the column"
    assert call(learner, DOWNGRADE, db.url, "base") is None
    left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert not left, f"downgrade to base must drop every table; left: {sorted(left)}"
    assert call(learner, UPGRADE, db.url, "head") == "0002"
    models = schema_db(kind)
    difference = diff(schema(db), schema(models))
    assert not difference, "after down and up again the schema differs from the models:\n" + difference
