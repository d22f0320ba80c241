"""Outgoing webhooks: who is notified of approval events, and the log of every delivery."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field


class WebhookSubscriptionBase(SQLModel):
    """What the admin subscribing an endpoint declares (shared by the table, input and output)."""

    url: str = Field(max_length=1000)
    #: Event names delivered to this endpoint, e.g. ["approval.requested", "approval.decided"].
    events: list[str] = json_field(default_factory=list)
    description: str = Field(default="", max_length=500)


class WebhookSubscriptionServerFields(SQLModel):
    """Whether the subscription is active, and who created it when."""

    active: bool = Field(default=True, index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = timestamp_field()


class WebhookSubscription(
    TableRow, WebhookSubscriptionServerFields, WebhookSubscriptionBase, table=True
):
    """An endpoint that receives approval events as HMAC-signed JSON POSTs."""

    #: HMAC-SHA256 key shared with the receiver; shown once at creation, never returned again.
    secret: str = Field(max_length=200)


class WebhookSubscriptionPublic(
    PublicRow, WebhookSubscriptionServerFields, WebhookSubscriptionBase
):
    """A subscription as the API returns it: the secret is not a field, so it cannot leak."""


class WebhookSubscriptionCreated(WebhookSubscriptionPublic):
    """The answer to a new subscription: the only response that carries the secret."""

    secret: str


class WebhookDeliveryBase(SQLModel):
    """One delivery of an event and its attempts."""

    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event: str = Field(max_length=60)
    #: The JSON body exactly as signed and sent.
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    #: pending | delivered | failed (gave up after the last attempt)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    response_code: int | None = None
    created_at: datetime = timestamp_field()
    next_attempt_at: datetime = timestamp_field()
    delivered_at: datetime | None = timestamp_field(nullable=True)


class WebhookDelivery(TableRow, WebhookDeliveryBase, table=True):
    """One event sent (or being sent) to one subscription, with its attempts."""

    __table_args__ = (sa.Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),)


class WebhookDeliveryPublic(PublicRow, WebhookDeliveryBase):
    """A delivery as the API returns it."""
