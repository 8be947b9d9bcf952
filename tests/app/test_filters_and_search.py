"""The list endpoints filter (status, document, created_after / created_before, model),
order, and find pages by their text (?search=, PostgreSQL full-text search with an index,
substrings on SQLite); the admin's page list searches the same text. Owners only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from recognition import selectors, services
from recognition.jobs import record_failure
from recognition.models import Job, Page, Word
from recognition.review import services as review
from tests.app.test_documents_api import finish, tiff_pages
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def pages(alice, upload) -> list[Page]:
    """Three single pages read as BRANNER SMITH, DUPONT and (failed), plus a document."""
    made = [services.create_page(owner=alice, upload=upload(f"p{i}.png")) for i in range(3)]
    finish(made[0].jobs.get(), "BRANNER")
    finish(made[1].jobs.get(), "DUPONT")
    record_failure(made[2].jobs.get().id, "unreadable")
    Job.objects.filter(page=made[0]).update(text="BRANNER SMITH")
    return made


def test_pages_filter_by_the_status_of_their_latest_job(alice_client, pages):
    assert ids(alice_client.get("/api/pages/", {"status": "failed"})) == [pages[2].id]
    assert sorted(ids(alice_client.get("/api/pages/", {"status": "succeeded"}))) == sorted([pages[0].id, pages[1].id])
    services.reprocess_page(pages[0])  # its latest job is queued now
    assert ids(alice_client.get("/api/pages/", {"status": "queued"})) == [pages[0].id]
    bad = alice_client.get("/api/pages/", {"status": "done"})
    assert bad.status_code == 400 and "status" in bad.json()


def test_pages_and_jobs_filter_by_document_dates_and_model(alice, alice_client, pages):
    document = services.create_page(owner=alice, upload=SimpleUploadedFile("letters.tif", tiff_pages(2))).document
    doc_pages = list(document.pages.order_by("number").values_list("id", flat=True))
    assert sorted(ids(alice_client.get("/api/pages/", {"document": document.id}))) == doc_pages
    assert len(ids(alice_client.get("/api/jobs/", {"document": document.id}))) == 2
    assert ids(alice_client.get("/api/jobs/", {"page_id": pages[1].id})) == [pages[1].jobs.get().id]

    old = timezone.now() - timedelta(days=3)
    Page.objects.filter(pk=pages[0].pk).update(created=old)
    cutoff = (old + timedelta(days=1)).isoformat()
    assert ids(alice_client.get("/api/pages/", {"created_before": cutoff})) == [pages[0].id]
    assert pages[0].id not in ids(alice_client.get("/api/pages/", {"created_after": cutoff}))
    assert alice_client.get("/api/pages/", {"created_after": "yesterday"}).status_code == 400

    Job.objects.filter(page=pages[1]).update(model_version_name="hwr-copy")
    assert ids(alice_client.get("/api/pages/", {"model": "hwr-copy"})) == [pages[1].id]
    assert ids(alice_client.get("/api/jobs/", {"model": "hwr-copy"})) == [pages[1].jobs.get().id]
    assert ids(alice_client.get("/api/jobs/", {"status": "failed"})) == [pages[2].jobs.get().id]


def test_lists_order_as_asked(alice_client, pages):
    ascending = ids(alice_client.get("/api/pages/", {"ordering": "id"}))
    assert ascending == sorted(ascending)
    assert ids(alice_client.get("/api/pages/", {"ordering": "-id"})) == ascending[::-1]
    assert ids(alice_client.get("/api/pages/", {"ordering": "filename"})) == [p.id for p in pages]
    assert alice_client.get("/api/jobs/", {"ordering": "-finished"}).status_code == 200
    assert alice_client.get("/api/documents/", {"ordering": "page_count"}).status_code == 200
    assert alice_client.get("/api/pages/", {"ordering": "owner__password"}).status_code == 400


def test_search_finds_pages_by_recognised_and_corrected_text(alice, alice_client, pages):
    assert ids(alice_client.get("/api/pages/", {"search": "Branner"})) == [pages[0].id]
    assert ids(alice_client.get("/api/pages/", {"search": "smith branner"})) == [pages[0].id]
    assert ids(alice_client.get("/api/pages/", {"search": "branner -smith"})) == []
    assert ids(alice_client.get("/api/pages/", {"search": "nobody"})) == []
    # A reviewer's correction is found at once.
    review.correct_word(Word.objects.get(line__job__page=pages[1]), "DURAND", alice)
    assert ids(alice_client.get("/api/pages/", {"search": "durand"})) == [pages[1].id]
    assert ids(alice_client.get("/api/pages/", {"search": "dupont"})) == []
    # Search and filters combine.
    assert ids(alice_client.get("/api/pages/", {"search": "durand", "status": "failed"})) == []


def test_search_shows_only_the_users_own_pages(bob, pages):
    assert ids(token_client(bob).get("/api/pages/", {"search": "branner"})) == []


def test_search_on_sqlite_matches_every_word_as_a_substring(pages, monkeypatch):
    class SQLite:
        vendor = "sqlite"

    monkeypatch.setattr(selectors, "connection", SQLite())
    assert list(selectors.pages_matching(Page.objects.all(), "bran SMI")) == [pages[0]]
    assert list(selectors.pages_matching(Page.objects.all(), "bran dup")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the full-text index exists on PostgreSQL only")
def test_search_uses_the_full_text_index(pages):
    query = selectors.pages_matching(Page.objects.all(), "branner")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "job_text_search" in plan, plan


def test_the_admin_page_list_searches_the_text(staff, client, pages):
    client.force_login(staff)
    response = client.get("/admin/recognition/page/", {"q": "branner"})
    assert response.status_code == 200
    listed = response.context["cl"].result_list
    assert [p.id for p in listed] == [pages[0].id]
    by_name = client.get("/admin/recognition/page/", {"q": "p1.png"}).context["cl"].result_list
    assert [p.id for p in by_name] == [pages[1].id]


def test_the_schema_describes_the_filters(alice_client):
    import yaml

    schema = yaml.safe_load(alice_client.get("/api/schema/").content)
    names = {path: {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
             for path in ("/api/pages/", "/api/jobs/", "/api/documents/")}
    pages = {"status", "document", "created_after", "created_before", "model", "ordering", "search"}
    assert pages <= names["/api/pages/"]
    assert {"status", "document", "page_id", "model", "ordering"} <= names["/api/jobs/"]
    assert {"created_after", "ordering"} <= names["/api/documents/"]


def test_odd_time_offsets_are_read_in_utc_and_impossible_times_are_a_400(alice_client):
    # PostgreSQL refuses an offset of -19:43 itself; in UTC it is an ordinary time.
    assert alice_client.get("/api/documents/", {"created_before": "0181-10-06T00:01:40-19:43"}).status_code == 200
    for when in ["0001-01-01T00:00:00+05:00", "2026-13-01"]:
        response = alice_client.get("/api/documents/", {"created_before": when})
        assert response.status_code == 400 and "created_before" in response.json()


def test_a_search_with_a_null_character_or_too_long_is_a_400(alice_client, pages):
    for query in ["bran\x00ner", "x" * 501]:
        response = alice_client.get("/api/pages/", {"search": query})
        assert response.status_code == 400 and "search" in response.json()
