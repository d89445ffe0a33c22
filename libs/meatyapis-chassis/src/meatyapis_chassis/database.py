"""Engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL via psycopg 3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
# libpq's smallest connect timeout, under the charts' readiness-probe timeout (3 s): while the
# database is unreachable or restarting, a request and the probe get a 503, not a wait.
PG_CONNECT_TIMEOUT_S = 2
PG_POOL_TIMEOUT_S = 10


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # read() begins at once (one snapshot for all its queries); write() takes the write lock
        # up front, so it never has to upgrade a stale read snapshot (which SQLite refuses
        # without waiting) and waits busy_timeout instead. A plain session() leaves it to the
        # sqlite3 module, which begins at the first write: its reads hold no snapshot meanwhile.
        mode = connection.get_execution_options().get("sqlite_begin")
        if mode is not None:
            connection.exec_driver_sql(f"BEGIN {mode}")


def build_engine(url: str | URL) -> Engine:
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url)
        _configure_sqlite(engine)
        return engine
    # A blackholed database must fail the readiness probe, not hang it.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=PG_POOL_TIMEOUT_S,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


class Database:
    """One engine per app: `session()` for a request's session, `read()` and `write()` for
    sessions scoped to a `with` block."""

    def __init__(self, url: str | URL) -> None:
        self.engine = build_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends without an exception."""
        with self._writer() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
