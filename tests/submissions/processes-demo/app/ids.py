import os
import sys


def pid():
    return os.getpid()


def insert(path: str, value: str) -> int:
    """Write a row into the SQLite file at ``path`` (as the learner's user); the rows there now."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS notes (value TEXT)")
        conn.execute("INSERT INTO notes VALUES (?)", (value,))
        return conn.execute("SELECT count(*) FROM notes").fetchone()[0]


def started():
    """How this call process started: from a spare (``wave`` preloaded), with which environment
    and which open file descriptors (stdin, stdout, stderr and the two calls pipes: nothing else)."""
    return {"preloaded": "wave" in sys.modules, "env": sorted(os.environ), "fds": len(os.listdir("/proc/self/fd")) - 1}


def whoami():
    """Who this process runs as, and its working directory and HOME."""
    return {"uid": os.getuid(), "cwd": os.getcwd(), "home": os.environ["HOME"]}
