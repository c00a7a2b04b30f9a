import os


def env(name):
    return os.environ.get(name)


def postgres_powers(url):
    """What learner code can do with the database URL it was given (and without it)."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    powers = {}
    with psycopg.connect(plain, autocommit=True) as conn:
        powers["user"] = conn.execute("SELECT current_user").fetchone()[0]
        powers["superuser"] = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        conn.execute("CREATE TABLE IF NOT EXISTS mine (n int)")
        powers["creates_tables"] = True
        for name, statement in {
            "alter_system": "ALTER SYSTEM SET work_mem = '1MB'",
            "create_database": "CREATE DATABASE other",
            "create_role": "CREATE ROLE someone",
            "terminate_others": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename <> current_user",
        }.items():
            try:
                cursor = conn.execute(statement)
                rows = cursor.fetchall() if statement.startswith("SELECT") else [(True,)]
                powers[name] = any(row[0] for row in rows)
            except psycopg.Error:
                powers[name] = False
    host = plain.split("@", 1)[1]
    try:
        with psycopg.connect(f"postgresql://postgres@{host}", connect_timeout=5):
            powers["superuser_without_password"] = True
    except psycopg.Error:
        powers["superuser_without_password"] = False
    return powers
