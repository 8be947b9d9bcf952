"""Staff upload one or many pages in the admin; the page list shows the latest job's
status and text; the page view shows the overlay and the recognised text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition.models import Job, Page
from recognition.tasks import recognize_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_upload_several_pages_at_once(staff_client, small_page_png):
    files = [SimpleUploadedFile(f"scan{i}.png", small_page_png, content_type="image/png") for i in range(3)]
    response = staff_client.post(
        "/admin/recognition/page/upload/", {"images": files, "layout": "page", "charset": "upper", "lexicon": ""}
    )
    assert response.status_code == 302
    assert Page.objects.count() == 3
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 3
    assert set(Page.objects.values_list("charset", flat=True)) == {"upper"}


def test_a_bad_file_among_good_ones_is_reported_and_skipped(staff_client, small_page_png):
    files = [SimpleUploadedFile("good.png", small_page_png, content_type="image/png"),
             SimpleUploadedFile("bad.png", b"not an image", content_type="image/png")]
    response = staff_client.post("/admin/recognition/page/upload/",
                                 {"images": files, "layout": "page", "charset": "any"}, follow=True)
    assert Page.objects.count() == 1
    assert "bad.png: the file is not an image" in response.content.decode().lower()


def test_the_add_button_leads_to_the_upload_form(staff_client):
    response = staff_client.get("/admin/recognition/page/add/")
    assert response.status_code == 302 and response.url.endswith("/admin/recognition/page/upload/")
    assert staff_client.get(response.url).status_code == 200


def test_list_and_page_view_show_status_text_and_overlay(staff_client, staff, upload):
    from recognition import services

    page = services.create_page(owner=staff, upload=upload())
    job = page.jobs.get()
    recognize_page(job.id)
    job.refresh_from_db()
    listing = staff_client.get("/admin/recognition/page/").content.decode()
    assert "succeeded" in listing
    assert job.text.split("\n")[0][:10] in listing
    detail = staff_client.get(f"/admin/recognition/page/{page.id}/change/").content.decode()
    assert f"/api/jobs/{job.id}/overlay/" in detail
    assert job.text.split("\n")[0] in detail
