from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("recognition.api.urls")),
    path("review/", include("recognition.review.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# JSON for API paths, Django's pages elsewhere.
handler404 = "recognition.api.exceptions.not_found"
handler500 = "recognition.api.exceptions.server_error"
