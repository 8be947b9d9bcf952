"""The review web pages: one page's scan with its boxes and text for correcting, and
the queue of pages that need review. Reads come from selectors; every change goes
through the REST API (`/api/lines/`, `/api/words/`, `/api/chars/`) from the page's
script, which also follows a job still running and reloads when it ends."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from .. import selectors
from . import selectors as review_selectors


def _page_and_job(request: HttpRequest, page_id: int):
    # Another user's page answers 404, exactly like an unknown id.
    page = get_object_or_404(selectors.pages_visible_to(request.user), pk=page_id)
    return page, review_selectors.latest_succeeded_job(page)


@login_required
def review_page(request: HttpRequest, page_id: int) -> HttpResponse:
    page, job = _page_and_job(request, page_id)
    latest = selectors.latest_job(page)
    # A job still to finish is followed from the page's script, which reloads when it ends.
    pending = latest if latest is not None and not latest.is_done else None
    context = {
        "page": page,
        "job": job,
        "latest": latest,
        "pending": pending,
        "pending_url": reverse("job-detail", args=[pending.id]) if pending else None,
        "data": review_selectors.review_data(job) if job else None,
        "image_url": reverse("page-image", args=[page.id]),
        "overlay_url": reverse("job-overlay", args=[job.id]) if job and job.overlay else None,
        "next_url": reverse("review-next") + f"?after={page.id}",
    }
    return render(request, "recognition/review/page.html", context)


@login_required
def review_page_data(request: HttpRequest, page_id: int) -> JsonResponse:
    _page, job = _page_and_job(request, page_id)
    if job is None:
        raise Http404("This page has no finished reading yet.")
    return JsonResponse(review_selectors.review_data(job))


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    pages = review_selectors.review_queue(request.user)[:100]
    return render(request, "recognition/review/queue.html", {"pages": pages})


@login_required
def review_next(request: HttpRequest) -> HttpResponse:
    """The page that most needs review, other than the one just reviewed."""
    queue = review_selectors.review_queue(request.user)
    after = request.GET.get("after", "")
    if after.isdigit():
        queue = queue.exclude(pk=int(after))
    page = queue.first()
    if page is None:
        return redirect("review-queue")
    return redirect("review-page", page_id=page.id)
