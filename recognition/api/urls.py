from django.urls import path

from .auth import obtain_auth_token
from .document_views import DocumentViewSet
from .review_views import CharViewSet, LineViewSet, ModelVersionViewSet, SampleViewSet, WordViewSet
from .routers import IntegerIdRouter
from .views import JobViewSet, PageViewSet
from .webhook_views import WebhookDeliveryViewSet, WebhookSecretView

router = IntegerIdRouter()
router.register("pages", PageViewSet, basename="page")
router.register("jobs", JobViewSet, basename="job")
router.register("documents", DocumentViewSet, basename="document")
router.register("lines", LineViewSet, basename="line")
router.register("words", WordViewSet, basename="word")
router.register("chars", CharViewSet, basename="char")
router.register("samples", SampleViewSet, basename="sample")
router.register("models", ModelVersionViewSet, basename="model")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("webhooks/secret/", WebhookSecretView.as_view(), name="webhook-secret"),
    *router.urls,
]
