import os


def pid():
    return os.getpid()


def insert(path: str, value: str) -> int:
    """Write a row into the SQLite file at ``path`` (as the learner's user); the rows there now."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS notes (value TEXT)")
        conn.execute("INSERT INTO notes VALUES (?)", (value,))
        return conn.execute("SELECT count(*) FROM notes").fetchone()[0]
