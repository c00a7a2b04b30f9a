"""Queries. Values always travel as bound parameters; column names come from an allow-list."""

from app.models import Customer, Order, OrderItem, Product
from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

# sort name -> (column, descending?). The id breaks ties, so the order is total.
PRODUCT_SORTS = {
    "id": (Product.id, False),
    "-id": (Product.id, True),
    "price_cents": (Product.price_cents, False),
    "-price_cents": (Product.price_cents, True),
}


def _keyset_page(session: Session, stmt, columns: list, descending: bool, after: list[int] | None, limit: int):
    """One page in (columns) order after the key `after`, and the key of its last row if there is more.

    WHERE (price_cents, id) > (:price, :id) ORDER BY price_cents, id LIMIT n+1 - a row inserted
    behind the cursor doesn't shift the pages (OFFSET would), and any depth costs the same.
    """
    key = tuple_(*columns) if len(columns) > 1 else columns[0]
    if after is not None:
        bound = tuple_(*after) if len(after) > 1 else after[0]
        stmt = stmt.where(key < bound if descending else key > bound)
    stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit + 1)
    rows = list(session.scalars(stmt))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, [getattr(rows[-1], c.key) for c in columns]


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
    """Compare-and-set: change the row only if it is still at `version`. None if someone was faster.

    Checking the version in Python and then writing would be two steps, and two requests could
    both pass the check; here the database decides, in one statement, and the row count says who won.
    """
    result = session.execute(
        update(Product).where(Product.id == product.id).values(**changes, version=Product.version + 1)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    session.refresh(product)
    return product


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
    """The order if it belongs to this customer: someone else's order is 'not found' for you."""
    return session.scalar(select(Order).where(Order.id == order_id, Order.customer_id == customer_id))


def list_orders(session: Session, customer_id: int, after: list[int] | None, limit: int):
    """The customer's orders, newest first: by id, descending (ids are handed out in order)."""
    stmt = select(Order).where(Order.customer_id == customer_id)
    return _keyset_page(session, stmt, [Order.id], True, after, limit)
