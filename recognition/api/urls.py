from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from .views import JobViewSet, PageViewSet

router = DefaultRouter()
router.register("pages", PageViewSet, basename="page")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
