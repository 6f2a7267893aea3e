"""The SEVIS data feed: per-school tokens, batches and the items they carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JSONType, enum_column, utcnow
from portal.models.enums import FeedItemStatus


class FeedToken(Base):
    """A school's API token for the feed endpoint; only its hash is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class FeedBatch(Base):
    """One received batch; its id makes a re-sent batch a no-op."""

    __tablename__ = "feed_batches"
    __table_args__ = (UniqueConstraint("school_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    batch_id: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[dict | None] = mapped_column(JSONType)


class InboundFeedItem(Base):
    """One record of a batch, queued during maintenance and applied in arrival order exactly once."""

    __tablename__ = "inbound_feed_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "record_index"),
        Index("ix_inbound_feed_items_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("feed_batches.id"))
    record_index: Mapped[int]
    sevis_id: Mapped[str | None] = mapped_column(String(11))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[FeedItemStatus] = mapped_column(
        enum_column(FeedItemStatus, "feed_item_status"), default=FeedItemStatus.QUEUED
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    result: Mapped[dict | None] = mapped_column(JSONType)
