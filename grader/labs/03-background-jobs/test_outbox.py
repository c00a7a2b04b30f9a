"""Part "outbox": the job is written with the order, and each order gets exactly one mail."""

import time

import pytest

from grader._sandbox.learner import LearnerError


def test_an_order_commits_with_its_confirmation_job(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    assert shop.db.rows(f"SELECT email, total_cents FROM orders WHERE id = {order_id}") == [("dora@duckshop.example", 1497)]
    jobs = shop.db.rows("SELECT id FROM jobs WHERE kind = 'send_order_confirmation'")
    assert len(jobs) == 1, f"place_order() should enqueue one send_order_confirmation job, found {len(jobs)}"
    assert shop.db.job(jobs[0][0])["payload"] == {"order_id": order_id}


def test_a_rolled_back_order_leaves_no_job_and_sends_no_mail(sqlite_shop):
    shop = sqlite_shop
    with pytest.raises(LearnerError) as failure:
        shop.call("app.orders:place_order", "ghost@duckshop.example", 999, fail_after_enqueue=True)
    assert failure.value.type == "RuntimeError", f"fail_after_enqueue=True should raise RuntimeError, got {failure.value.type}"
    leftovers = (shop.db.scalar("SELECT COUNT(*) FROM orders"), shop.db.scalar("SELECT COUNT(*) FROM jobs"))
    assert leftovers == (0, 0), (
        f"a failed order must leave nothing behind, found (orders, jobs) = {leftovers}: write the job with the "
        "caller's connection, inside the order's transaction (the transactional outbox)"
    )
    good = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    shop.worker("w1")
    shop.wait_until(lambda: shop.smtp.for_order(good), 30, "the good order's confirmation mail")
    time.sleep(0.5)
    strays = [m["to"] for m in shop.smtp.messages if m["headers"].get("x-order-id") != str(good)]
    assert not strays, f"mail went out for an order that was rolled back: {strays}"


def test_the_confirmation_is_mailed_over_smtp(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    shop.worker("w1")
    mails = shop.wait_until(lambda: shop.smtp.for_order(order_id), 30, "the confirmation mail")
    mail = mails[0]
    assert mail["to"] == ["dora@duckshop.example"], f"the mail should go to the order's address, went to {mail['to']}"
    assert f"#{order_id}" in mail["headers"].get("subject", ""), f"the subject should name order #{order_id}: {mail['headers']}"


def test_a_job_delivered_twice_sends_one_mail(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    duplicate = shop.submit("send_order_confirmation", {"order_id": order_id})  # a redelivery, in effect
    shop.worker("w1")
    shop.wait_until(lambda: shop.db.statuses().get("done") == 2, 30, "both deliveries to be done")
    time.sleep(0.3)
    mails = shop.smtp.for_order(order_id)
    assert len(mails) == 1, (
        f"the confirmation job ran twice and sent {len(mails)} mails: the handler must be idempotent - record the "
        "sent mail (sent_mails) and check it before sending"
    )
    del duplicate


def test_the_handler_called_twice_sends_one_mail(sqlite_shop):
    shop = sqlite_shop
    order_id = shop.call("app.orders:place_order", "dora@duckshop.example", 1497)
    job = {"id": 1, "kind": "send_order_confirmation", "payload": {"order_id": order_id}, "attempts": 1,
           "max_attempts": 5, "worker_id": "t1"}
    shop.call("app.handlers:send_order_confirmation", job)
    shop.call("app.handlers:send_order_confirmation", {**job, "attempts": 2})
    mails = shop.smtp.for_order(order_id)
    assert len(mails) == 1, f"two runs of the handler for one order sent {len(mails)} mails, expected 1"
    assert shop.db.scalar(f"SELECT COUNT(*) FROM sent_mails WHERE order_id = {order_id}") == 1
