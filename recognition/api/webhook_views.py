"""Webhooks in the API: the signing secret (read, rotate) and every delivery with its attempts."""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import WebhookDelivery
from ..webhooks import delivery
from ..webhooks import selectors as webhook_selectors
from ..webhooks import services as webhooks
from .strict import StrictQueryMixin


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Key of the HMAC-SHA256 signature over each event's raw body")
    header = serializers.CharField(help_text="The request header that carries `sha256=<hex digest>`")
    created = serializers.DateTimeField()


def secret_body(found) -> dict:
    return {"secret": found.secret, "header": delivery.SIGNATURE_HEADER, "created": found.created}


class WebhookSecretView(StrictQueryMixin, APIView):
    """The key your webhook events are signed with. POST makes a new one (the old one
    stops at once)."""

    @extend_schema(responses={200: WebhookSecretSerializer})
    def get(self, request: Request) -> Response:
        return Response(WebhookSecretSerializer(secret_body(webhooks.secret_for(request.user))).data)

    @extend_schema(request=None, responses={201: WebhookSecretSerializer})
    def post(self, request: Request) -> Response:
        return Response(WebhookSecretSerializer(secret_body(webhooks.rotate_secret(request.user))).data,
                        status=status.HTTP_201_CREATED)


class WebhookJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    model_version = serializers.CharField()
    url = serializers.CharField()


class WebhookLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()


class WebhookDocumentSerializer(WebhookLinkSerializer):
    page_count = serializers.IntegerField()
    jobs = serializers.DictField(child=serializers.IntegerField(), help_text="Pages by their latest job's state")


class WebhookEventSerializer(serializers.Serializer):
    """The JSON body POSTed to a callback URL. Headers: X-HWR-Event (the event),
    X-HWR-Delivery (the delivery id), X-HWR-Signature: sha256=<hex HMAC-SHA256 of the raw
    body with your secret, GET /api/webhooks/secret/>. A delivery may come more than once:
    drop repeats by `delivery`."""

    event = serializers.ChoiceField(choices=WebhookDelivery.Event.choices)
    delivery = serializers.IntegerField()
    created = serializers.DateTimeField()
    status = serializers.CharField(help_text="succeeded or failed (a document: failed when any page failed)")
    job = WebhookJobSerializer(allow_null=True, help_text="job.finished only")
    page = WebhookLinkSerializer(allow_null=True, help_text="job.finished only")
    document = WebhookDocumentSerializer(allow_null=True, help_text="document.finished only")
    result_url = serializers.CharField(help_text="Where to read the result (absolute with HWR_PUBLIC_URL set)")


class AttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's HTTP status; null: no answer")
    error = serializers.CharField(allow_blank=True)
    ms = serializers.IntegerField(help_text="Milliseconds the attempt took")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "url", "status", "job", "document", "created", "finished", "attempts", "payload"]

    @extend_schema_field(WebhookEventSerializer)
    def get_payload(self, found: WebhookDelivery) -> dict:
        return found.payload


class WebhookDeliveryFilter(django_filters.FilterSet):
    job = django_filters.NumberFilter(field_name="job")
    document = django_filters.NumberFilter(field_name="document")
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.ChoiceFilter(choices=WebhookDelivery.Event.choices)

    class Meta:
        model = WebhookDelivery
        fields = []


class WebhookDeliveryViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Webhook events sent to your callback URLs, each with every attempt (retried with
    growing waits while the receiver is unreachable, times out, or answers 5xx or 429)."""

    serializer_class = WebhookDeliverySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = WebhookDeliveryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return webhook_selectors.deliveries_visible_to(self.request.user)
