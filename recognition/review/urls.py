from django.urls import path

from . import views

urlpatterns = [
    path("", views.review_queue, name="review-queue"),
    path("next/", views.review_next, name="review-next"),
    path("pages/<int:page_id>/", views.review_page, name="review-page"),
    path("pages/<int:page_id>/data/", views.review_page_data, name="review-page-data"),
]
