import socket


def quote_total(unit_price_cents: int, quantity: int) -> int:
    # "Ask a price service": any connection out of the sandbox must fail.
    with socket.create_connection(("192.0.2.1", 80), timeout=2) as conn:
        conn.sendall(b"GET /answers HTTP/1.0\r\n\r\n")
        return int(conn.recv(100))
