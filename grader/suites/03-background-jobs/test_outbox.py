"""Part "outbox": the job is written with the order, and each order gets one mail."""

import time

from grader.testing import fail


def _job(order_id: int, attempts: int = 1) -> dict:
    """The dict claim() returns, for calling the handler directly."""
    payload = {"order_id": order_id}
    job = {"id": 1, "kind": "send_order_confirmation", "payload": payload, "attempts": attempts, "max_attempts": 5}
    return {**job, "worker_id": "t1"}


def test_an_order_commits_with_its_confirmation_job(sqlite_shop):
    shop = sqlite_shop
    before = time.time()
    order_id = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    after = time.time()
    orders = shop.db.execute("SELECT id, email, total_cents FROM orders")
    assert orders == [(order_id, "dora@duckshop.example", 1497)], (
        f"place_order() should insert the order and return its id ({order_id!r}); orders: {orders}"
    )
    jobs = shop.db.execute("SELECT id, kind, status FROM jobs")
    assert [j[1:] for j in jobs] == [("send_order_confirmation", "queued")], (
        f"place_order() should enqueue one queued send_order_confirmation job; jobs (id, kind, status): {jobs}"
    )
    job = shop.db.job(jobs[0][0])
    assert job["payload"] == {"order_id": order_id}, (
        f"the job's payload should be {{'order_id': {order_id}}}, got {job['payload']}"
    )
    got = (job["attempts"], job["max_attempts"])
    assert got == (0, 5), (
        f"the confirmation job is enqueued with enqueue()'s defaults (attempts 0, max_attempts=5); "
        f"(attempts, max_attempts) are {got}"
    )
    assert before <= job["run_at"] <= after, (
        f"the confirmation job is due at once (delay_s defaults to 0): run_at should be now, got now "
        f"{job['run_at'] - after:+.2f} s"
    )


def test_a_rolled_back_order_leaves_nothing(sqlite_shop):
    shop = sqlite_shop
    error = shop.raises("app.orders:place_order", "ghost@duckshop.example", 999, fail_after_enqueue=True)
    assert error is not None and error.type == "RuntimeError", (
        f"place_order(fail_after_enqueue=True) should raise RuntimeError, got {error.type if error else 'an order id'}"
    )
    leftovers = (shop.db.scalar("SELECT COUNT(*) FROM orders"), shop.db.scalar("SELECT COUNT(*) FROM jobs"))
    assert leftovers == (0, 0), (
        f"a failed order must leave nothing behind, found (orders, jobs) = {leftovers}: write the job with the "
        "order's connection, inside its transaction (the transactional outbox)"
    )


def test_the_confirmation_is_mailed_over_smtp(shop):
    # Orders placed just before and just after this one, already mailed: they must not stand in for it.
    earlier = shop.db.insert_order("earlier@duckshop.example", 100)
    order_id = shop.db.insert_order("dora@duckshop.example", 1497)
    later = shop.db.insert_order("later@duckshop.example", 200)
    for mailed in (earlier, later):
        shop.db.execute(
            "INSERT INTO sent_mails (order_id, message_id, sent_at) VALUES (?, ?, ?)",
            (mailed, f"<order-{mailed}@duckshop.example>", time.time()),
        )
    shop.call("app.handlers:send_order_confirmation", _job(order_id))
    mails = shop.smtp.for_order(order_id)
    if len(mails) != 1:
        fail(
            f"send_order_confirmation() should send one mail with the header X-Order-Id: {order_id}; the SMTP server "
            f"got {len(mails)} such mail(s) and {len(shop.smtp.messages)} in all (orders {earlier} and {later}, placed "
            "before and after it, were mailed already: look the order and its sent_mails row up by its own id)"
        )
    mail = mails[0]
    assert mail["to"] == ["dora@duckshop.example"], f"the mail should go to the order's email, went to {mail['to']}"
    subject = mail["headers"].get("subject", "")
    assert f"#{order_id}" in subject, f"the subject should contain #{order_id}, got {subject!r}"
    expected = f"<order-{order_id}@duckshop.example>"
    got = mail["headers"].get("message-id")
    assert got == expected, f"the Message-ID should be derived from the order: {expected}, got {got!r}"
    rows = shop.db.execute("SELECT order_id FROM sent_mails ORDER BY order_id")
    assert rows == [(earlier,), (order_id,), (later,)], (
        f"the sent mail should be recorded in sent_mails (order {order_id}, beside {earlier} and {later}); it holds {rows}"
    )


def test_the_handler_called_twice_sends_one_mail(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.db.insert_order("dora@duckshop.example", 1497)
    shop.call("app.handlers:send_order_confirmation", _job(order_id, attempts=1))
    shop.call("app.handlers:send_order_confirmation", _job(order_id, attempts=2))  # redelivered
    mails = shop.smtp.for_order(order_id)
    assert len(mails) == 1, (
        f"two runs of the handler for one order sent {len(mails)} mails, expected 1: skip orders that sent_mails "
        "already holds"
    )
    rows = shop.db.scalar("SELECT COUNT(*) FROM sent_mails WHERE order_id = ?", (order_id,))
    assert rows == 1, f"sent_mails should hold one row for the order, it holds {rows}"


def test_a_failed_send_is_not_recorded(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.db.insert_order("slow@greylist.example", 1497)  # the server says 451 "try later" once
    error = shop.raises("app.handlers:send_order_confirmation", _job(order_id, attempts=1))
    if error is None:
        fail(
            "the mail server refused the first send with 451 (try again later), and send_order_confirmation() "
            "returned as if it had sent: let the error propagate, so the job is retried"
        )
    assert error.type != "PermanentError", (
        f"the mail server answered 451 (try again later), a temporary refusal: send_order_confirmation() should let "
        f"the send's error propagate so the job is retried, got PermanentError: {error.message[:200]}"
    )
    recorded = shop.db.scalar("SELECT COUNT(*) FROM sent_mails")
    assert recorded == 0, (
        f"the send failed, but sent_mails records the order ({recorded} row): the retry would skip it and the "
        "customer would get no mail - record only after the send succeeded"
    )
    shop.call("app.handlers:send_order_confirmation", _job(order_id, attempts=2))
    mails = shop.smtp.for_order(order_id)
    assert len(mails) == 1, (
        f"the retry of send_order_confirmation() after a 451 should send the mail: expected 1 mail for order "
        f"{order_id}, got {len(mails)} (R18)"
    )


def test_an_unknown_order_is_a_permanent_error(sqlite_shop):
    shop = sqlite_shop
    error = shop.raises("app.handlers:send_order_confirmation", _job(424242))
    got = error.type if error else "no exception"
    assert got == "PermanentError", (
        f"send_order_confirmation() for an order that doesn't exist: expected PermanentError, got {got}"
    )
    sent = list(shop.smtp.messages)
    assert not sent, (
        f"send_order_confirmation() for an order that doesn't exist: expected no mail, got {len(sent)} "
        f"(the first to {sent[0]['to']}) (R19)"
    )


def test_a_refused_recipient_is_a_permanent_error(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.db.insert_order("nobody@bounce.example", 1497)  # the server answers 550 no such mailbox
    error = shop.raises("app.handlers:send_order_confirmation", _job(order_id))
    got = error.type if error else "no exception"
    assert got == "PermanentError", (
        f"the mail server refused the recipient for good (550) and send_mail() raised PermanentError; "
        f"send_order_confirmation() should let it propagate, got {got}"
    )
