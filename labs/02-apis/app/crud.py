"""Queries. Values always travel as bound parameters; column names come from an allow-list."""

from sqlalchemy import select, tuple_, update  # noqa: F401
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Customer, Order, OrderItem, Product

# sort name -> (column, descending?). The id breaks ties, so the order is total.
PRODUCT_SORTS = {
    "id": (Product.id, False),
    "-id": (Product.id, True),
    "price_cents": (Product.price_cents, False),
    "-price_cents": (Product.price_cents, True),
}


def _keyset_page(session: Session, stmt, columns: list, descending: bool, after: list[int] | None, limit: int):
    """One page in (columns) order after the key `after`, and the key of its last row if there is more.

    Returns (rows, last_key): last_key is [value of each column] of the page's last row, or None
    when this is the last page.
    """
    # TODO: keyset pagination (README, R16-R17): WHERE (columns) > (after) - or < when
    #       descending - ORDER BY the columns, LIMIT limit + 1 (the extra row tells you whether
    #       there is a next page). sqlalchemy.tuple_(*columns) builds a row value. Not OFFSET.
    raise NotImplementedError("TODO: _keyset_page in app/crud.py (see README.md)")


def product_sort_columns(sort: str) -> tuple[list, bool]:
    column, descending = PRODUCT_SORTS[sort]
    return ([column] if column is Product.id else [column, Product.id]), descending


def list_products(session, *, category, min_price, max_price, sort, after, limit):
    stmt = select(Product)
    if category is not None:
        stmt = stmt.where(Product.category == category)
    if min_price is not None:
        stmt = stmt.where(Product.price_cents >= min_price)
    if max_price is not None:
        stmt = stmt.where(Product.price_cents <= max_price)
    columns, descending = product_sort_columns(sort)
    return _keyset_page(session, stmt, columns, descending, after, limit)


def update_product(session: Session, product: Product, version: int, changes: dict) -> Product | None:
    """Apply `changes` if the row is still at `version`, bumping the version. None if someone was faster."""
    # TODO: one conditional UPDATE ... WHERE id = :id AND version = :version, then commit and
    #       check the row count (README, R26).
    raise NotImplementedError("TODO: update_product in app/crud.py (see README.md)")


def create_customer(session: Session, *, email: str, name: str, password_hash: str) -> Customer | None:
    """None if the email is taken (the UNIQUE constraint decides, even for two requests at once)."""
    customer = Customer(email=email, name=name, password_hash=password_hash, role="customer")
    session.add(customer)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return customer


def customer_by_email(session: Session, email: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.email == email))


def create_order(session: Session, customer_id: int, lines: list[tuple[Product, int]]) -> Order:
    # Prices come from the catalogue, never from the client.
    items = [OrderItem(product_id=p.id, quantity=q, unit_price_cents=p.price_cents) for p, q in lines]
    order = Order(customer_id=customer_id, items=items, total_cents=sum(i.quantity * i.unit_price_cents for i in items))
    session.add(order)
    session.commit()
    return order


def get_order(session: Session, order_id: int, customer_id: int) -> Order | None:
    """The order `order_id` as `customer_id` may see it, or None."""
    # TODO: README, R38 - and think about who is asking.
    raise NotImplementedError("TODO: get_order in app/crud.py (see README.md)")


def list_orders(session: Session, customer_id: int, after: list[int] | None, limit: int):
    """The customer's orders, newest first by id: (orders, last_key) like _keyset_page (README, R37)."""
    raise NotImplementedError("TODO: list_orders in app/crud.py (see README.md)")
