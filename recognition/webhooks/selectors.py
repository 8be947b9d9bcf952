"""Reads for webhooks: the deliveries a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import WebhookDelivery


def deliveries_visible_to(user) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.all() if user.is_staff else WebhookDelivery.objects.filter(owner=user)
    return deliveries.select_related("owner")
