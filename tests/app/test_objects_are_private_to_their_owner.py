"""Every URL that names a page, job, line, word, character, sample or overlay answers another
user with 404, for every method it accepts, and changes nothing; the owner and staff
get through. Uploaded files are reachable only through those views: nothing serves
MEDIA_ROOT at a guessable address.

The URLs are read from the URL configuration, so a new endpoint that takes an id is
checked as soon as it exists: add how to find its object to OBJECT_IDS (or, for objects
that belong to no user, to NOT_OWNED) and this test covers it.
"""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from recognition import services
from recognition.documents.services import import_ground_truth
from recognition.jobs import record_failure
from recognition.models import Glyph, Job, Page, WebhookDelivery, Word
from tests.conftest import token_client
from tests.helpers.bad_files import multipage_tiff
from tests.helpers.review_helpers import generated_page, read_page

pytestmark = pytest.mark.django_db

# URL name -> how to find alice's object of that kind
OBJECT_IDS = {
    "page": lambda d: d["page"].id,
    "job": lambda d: d["job"].id,
    "line": lambda d: d["word"].line_id,
    "word": lambda d: d["word"].id,
    "char": lambda d: d["char"].id,
    "sample": lambda d: d["sample"],
    "review-page": lambda d: d["page"].id,
    "review-page-data": lambda d: d["page"].id,
    "document": lambda d: d["document"].id,
    "webhook": lambda d: d["delivery"].id,
}
# Objects that belong to no user: model versions are shared (changing them is for staff).
NOT_OWNED = {"model"}
ID_KWARGS = ("pk", "page_id")


def routes():
    """(url name, kwargs names, methods) of every non-admin URL that takes an object id."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    found = {}
    for route, pattern in walk(get_resolver().url_patterns):
        groups = set(pattern.pattern.regex.groupindex)
        if route.startswith("admin/") or "format" in groups or not groups & set(ID_KWARGS):
            continue
        actions = getattr(pattern.callback, "actions", None)
        methods = sorted(actions) if actions else ["get", "post"]
        found[pattern.name] = (groups, methods)
    return found


def kind_of(name: str) -> str:
    return name if name in OBJECT_IDS else name.split("-")[0]


@pytest.fixture
def alice_data(alice, alice_client, font_glyphs):
    page, job = read_page(alice, generated_page(font_glyphs))
    word = Word.objects.filter(line__job=job).first()
    char = Glyph.objects.filter(word=word).first()
    # A correction makes a labelled sample.
    assert alice_client.patch(f"/api/words/{word.id}/", {"text": "HALLO"}, format="json").status_code == 200
    sample = alice_client.get("/api/samples/").json()["results"][0]["id"]
    word.refresh_from_db()
    # A document whose pages were read (failed ones export too), and the page's ground truth.
    document = services.create_page(owner=alice, upload=SimpleUploadedFile("two.tif", multipage_tiff())).document
    for document_job in Job.objects.filter(page__document=document):
        record_failure(document_job.id, "unreadable")
    truth = f'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page WIDTH="{page.width}" ' \
            f'HEIGHT="{page.height}"><TextLine HPOS="1" VPOS="1" WIDTH="9" HEIGHT="9"/></Page></Layout></alto>'
    import_ground_truth(page, SimpleUploadedFile("t.xml", truth.encode()), user=alice)
    # A webhook event sent about the job.
    delivery = WebhookDelivery.objects.create(owner=alice, event="job.finished", url="http://93.184.216.34/",
                                              payload={"event": "job.finished"}, job=job)
    return {"page": page, "job": job, "word": word, "char": char, "sample": sample, "document": document,
            "delivery": delivery}


def url_for(name, groups, data):
    kwargs = {key: OBJECT_IDS[kind_of(name)](data) for key in groups if key in ID_KWARGS}
    if "figure" in groups:
        kwargs["figure"] = "curves"
    return reverse(name, kwargs=kwargs)


def logged_in(user) -> APIClient:
    client = token_client(user)
    client.force_login(user)  # the review pages use the session
    return client


def test_every_route_with_an_id_is_known_to_this_test():
    unknown = {name for name in routes() if kind_of(name) not in OBJECT_IDS and kind_of(name) not in NOT_OWNED}
    assert not unknown, f"add these URL names to OBJECT_IDS or NOT_OWNED: {sorted(unknown)}"


def test_another_user_gets_404_from_every_route_and_changes_nothing(alice_data, bob, alice):
    bob_client = logged_in(bob)
    before = (Page.objects.count(), Job.objects.count(), alice_data["word"].text, Word.objects.count())
    checked = []
    for name, (groups, methods) in routes().items():
        if kind_of(name) in NOT_OWNED:
            continue
        url = url_for(name, groups, alice_data)
        for method in methods:
            response = getattr(bob_client, method)(url, {}, format="json")
            assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
            checked.append((method, url))
    assert len(checked) >= 12
    assert before == (Page.objects.count(), Job.objects.count(), Word.objects.get(pk=alice_data["word"].id).text,
                      Word.objects.count())


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_the_owner_and_staff_can_read_every_route(alice_data, request, who):
    client = logged_in(request.getfixturevalue(who))
    for name, (groups, methods) in routes().items():
        if kind_of(name) in NOT_OWNED or "get" not in methods:
            continue
        url = url_for(name, groups, alice_data)
        assert client.get(url).status_code == 200, url


def test_anonymous_requests_are_refused(alice_data):
    client = APIClient()
    for url in ["/api/pages/", f"/api/pages/{alice_data['page'].id}/image/", f"/api/jobs/{alice_data['job'].id}/",
                f"/api/jobs/{alice_data['job'].id}/overlay/"]:
        assert client.get(url).status_code in (401, 403), url


def test_uploaded_files_have_no_public_address(alice_data, alice):
    page, job = alice_data["page"], alice_data["job"]
    assert (settings.MEDIA_ROOT / page.image.name).exists()
    owner = logged_in(alice)
    for name in (page.image.name, job.overlay.name):
        for prefix in (settings.MEDIA_URL, "/media/", "/static/", "/static/../media/", "/"):
            assert owner.get(prefix + name).status_code == 404, prefix + name
    # Nothing in the URL configuration serves files from a folder.
    served = [str(p.pattern) for p in get_resolver().url_patterns
              if getattr(getattr(p, "callback", None), "__module__", "") == "django.views.static"]
    assert served == []
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))
    assert re.fullmatch(r"/[a-z-]+/", settings.MEDIA_URL)
