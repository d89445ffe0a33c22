"""The catalog's tables (SQLAlchemy 2 typed ORM). Alembic migrations create them, never the app."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, Index, Integer, Numeric, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CALLER_LENGTH = 128


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_products_price_not_negative"),
        CheckConstraint("quantity >= 0", name="ck_products_quantity_not_negative"),
        # SQLite reuses the highest deleted rowid unless the table says AUTOINCREMENT; an id,
        # and so an ETag, must never name two products. PostgreSQL's sequence never reuses.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2, asdecimal=True))
    quantity: Mapped[int] = mapped_column(Integer)
    # Optimistic concurrency: every write bumps it; ETag and If-Match carry it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The identity service's usernames of who created it and who changed it last (None for
    # products older than the record).
    created_by: Mapped[str | None] = mapped_column(String(CALLER_LENGTH), nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(CALLER_LENGTH), nullable=True)


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_client", "client"),)

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_seen: Mapped[date] = mapped_column(Date)
    # The client (address or IPv6 /64) that first checked this name in: new names are counted
    # per client (see blueprints/checkins.py). None for check-ins older than the count.
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)
