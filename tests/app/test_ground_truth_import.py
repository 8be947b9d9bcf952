"""Users bring transcribed pages as ground truth, as eScriptorium imports them: ALTO (v2
to v4) or PAGE XML, with a new page (`ground_truth` on POST /api/pages/) or later
(POST /api/pages/<id>/ground-truth/). Lines keep their box, polygon, baseline, type and
text, in the page image's pixels; files that are not transcriptions, or do not fit the
page, are refused with a clear 400 and nothing is stored."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition.documents.ground_truth import GroundTruthError, parse_transcription
from recognition.models import Document, GroundTruth, Page
from training.paths import PAGES_DEV_DIR

ALTO_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>scan.png</fileName></sourceImageInformation></Description>
  <Tags><OtherTag ID="T1" LABEL="DefaultLine:Handwritten"/></Tags>
  <Layout><Page ID="p" PHYSICAL_IMG_NR="1" WIDTH="{w}" HEIGHT="{h}"><PrintSpace><TextBlock ID="b">
    <TextLine ID="l1" TAGREFS="T1" HPOS="{x}" VPOS="10" WIDTH="100" HEIGHT="40" BASELINE="{x} 45 {x2} 47">
      <Shape><Polygon POINTS="{x} 10 {x2} 10 {x2} 50 {x} 50"/></Shape>
      <String CONTENT="HELLO" HPOS="{x}" VPOS="12" WIDTH="50" HEIGHT="36"/><SP/>
      <String CONTENT="WORLD" HPOS="{x3}" VPOS="12" WIDTH="48" HEIGHT="36"/>
    </TextLine>
    <TextLine ID="l2" HPOS="{x}" VPOS="70" WIDTH="80" HEIGHT="30" BASELINE="92">
      <String CONTENT="FORM" HPOS="{x}" VPOS="70" WIDTH="60" HEIGHT="30"/><HYP CONTENT="-"/>
    </TextLine>
  </TextBlock></PrintSpace></Page></Layout>
</alto>"""

# As Transkribus writes it (2013 schema): regions, lines with Coords and Baseline, words,
# several readings of a line (the lowest index is the main one), and a nested region.
PAGE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
  <Metadata><Creator>Transkribus</Creator><Created>2020-01-01T00:00:00</Created>
    <LastChange>2020-01-01T00:00:00</LastChange></Metadata>
  <Page imageFilename="scan.jpg" imageWidth="2000" imageHeight="1000">
    <TextRegion id="r1" type="paragraph"><Coords points="0,0 2000,0 2000,600 0,600"/>
      <TextLine id="l1"><Coords points="100,100 900,100 900,200 100,200"/>
        <Baseline points="100,180 900,184"/>
        <Word id="w1"><Coords points="100,100 400,100 400,200 100,200"/>
          <TextEquiv><Unicode>Dear</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="500,100 900,100 900,200 500,200"/>
          <TextEquiv><Unicode>Madam</Unicode></TextEquiv></Word>
        <TextEquiv index="2"><Unicode>Dear Madman</Unicode></TextEquiv>
        <TextEquiv index="1"><Unicode>Dear Madam</Unicode></TextEquiv>
      </TextLine>
      <TextRegion id="r2" type="marginalia"><Coords points="1500,300 1900,300 1900,400 1500,400"/>
        <TextLine id="l2"><Coords><Point x="1500" y="300"/><Point x="1900" y="300"/><Point x="1900" y="400"/>
          </Coords><TextEquiv><Unicode>note</Unicode></TextEquiv></TextLine>
      </TextRegion>
    </TextRegion>
  </Page>
</PcGts>"""


def alto_for(width: int, height: int, x: int = 20) -> bytes:
    return ALTO_PAGE.format(w=width, h=height, x=x, x2=x + 100, x3=x + 52).encode()


def size_of(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


# Parsing

def test_alto_lines_keep_box_polygon_baseline_type_words_and_text():
    t = parse_transcription(alto_for(400, 300))
    assert (t.format, t.width, t.height, t.image_name) == ("alto", 400, 300, "scan.png")
    first, second = t.lines
    assert (first.bbox, first.text, first.kind) == ([20, 10, 100, 40], "HELLO WORLD", "DefaultLine:Handwritten")
    assert first.polygon == [[20, 10], [120, 10], [120, 50], [20, 50]]
    assert first.baseline == [[20, 45], [120, 47]]
    assert [(w.bbox, w.text) for w in first.words] == [([20, 12, 50, 36], "HELLO"), ([72, 12, 48, 36], "WORLD")]
    # ALTO before 4.2 gives the baseline as one height; a hyphen ends its word.
    assert (second.text, second.baseline, second.polygon) == ("FORM-", [[20, 92], [100, 92]], None)


def test_page_xml_lines_in_regions_with_their_main_reading():
    t = parse_transcription(PAGE_XML.encode())
    assert (t.format, t.width, t.height, t.image_name) == ("page", 2000, 1000, "scan.jpg")
    assert [(line.text, line.bbox, line.kind) for line in t.lines] == [
        ("Dear Madam", [100, 100, 800, 100], "paragraph"), ("note", [1500, 300, 400, 100], "marginalia")]
    assert t.lines[0].baseline == [[100, 180], [900, 184]]
    assert [w.text for w in t.lines[0].words] == ["Dear", "Madam"]


def test_coordinates_are_scaled_to_the_page_image():
    t = parse_transcription(PAGE_XML.encode()).scaled_to(1000, 500)
    assert t.lines[0].bbox == [50, 50, 400, 50]
    assert t.lines[0].baseline == [[50, 90], [450, 92]]
    assert [w.bbox for w in t.lines[0].words] == [[50, 50, 150, 50], [250, 50, 200, 50]]
    with pytest.raises(GroundTruthError, match="different shape"):
        parse_transcription(PAGE_XML.encode()).scaled_to(1000, 1000)
    with pytest.raises(GroundTruthError, match="outside"):
        parse_transcription(alto_for(400, 300, x=900)).scaled_to(400, 300)


@pytest.mark.parametrize("data, message", [
    (b"not xml at all", "not well-formed"),
    (b"<html><body>hi</body></html>", "ALTO or PAGE XML"),
    (ALTO_PAGE.replace("</Layout>", '<Page ID="q" PHYSICAL_IMG_NR="2"/></Layout>').encode(), "2 pages"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb"><!ENTITY c "&b;&b;&b;&b;&b;&b;">]><a>&c;</a>',
     "entities"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><alto>&e;</alto>',
     "entities"),
])
def test_files_that_are_not_transcriptions_are_refused(data, message):
    with pytest.raises(GroundTruthError, match=message):
        parse_transcription(data)


@pytest.mark.needs_data
def test_the_escriptorium_alto_of_pages_dev_reads_as_the_evaluation_reader_does():
    from training.ground_truth import read_alto

    files = sorted(PAGES_DEV_DIR.glob("*.xml"))
    if not files:
        pytest.skip(f"needs {PAGES_DEV_DIR}")
    for path in files:
        ours = parse_transcription(path.read_bytes())
        theirs = read_alto(path)
        assert [line.bbox for line in ours.lines] == [t.box.as_list() for t in theirs.lines]
        assert [line.text for line in ours.lines] == [t.text for t in theirs.lines]
        assert [line.kind or "untyped" for line in ours.lines] == [t.kind for t in theirs.lines]
        assert [[tuple(p) for p in line.polygon or []] for line in ours.lines] == [t.polygon for t in theirs.lines]


# Storing it with a page

def xml_upload(data: bytes, name: str = "truth.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_ground_truth_comes_with_a_new_page(alice_client, upload, small_page_png):
    width, height = size_of(small_page_png)
    truth_file = xml_upload(alto_for(width, height))
    response = alice_client.post("/api/pages/", {"image": upload(), "ground_truth": truth_file}, format="multipart")
    assert response.status_code == 201, response.content
    truth = GroundTruth.objects.get(page_id=response.json()["id"])
    assert (truth.format, truth.original_filename, truth.text) == ("alto", "truth.xml", "HELLO WORLD\nFORM-")
    assert [line.bbox for line in truth.lines.all()] == [[20, 10, 100, 40], [20, 70, 80, 30]]
    assert truth.imported_by.username == "alice"


def test_ground_truth_that_does_not_fit_refuses_the_upload(alice_client, upload, small_page_png):
    width, height = size_of(small_page_png)
    for data, message in [(b"<nope", "not well-formed"), (alto_for(width * 2, height), "different shape")]:
        response = alice_client.post("/api/pages/", {"image": upload(), "ground_truth": xml_upload(data)},
                                     format="multipart")
        assert response.status_code == 400 and message in response.json()["detail"]
    assert not Page.objects.exists()


def test_ground_truth_does_not_come_with_a_whole_document(alice_client):
    from tests.helpers.bad_files import multipage_tiff

    response = alice_client.post("/api/pages/", {"image": SimpleUploadedFile("two.tif", multipage_tiff()),
                                                 "ground_truth": xml_upload(alto_for(320, 160))}, format="multipart")
    assert response.status_code == 400 and "ground-truth" in response.json()["detail"]
    assert not Page.objects.exists() and not Document.objects.exists()


def test_ground_truth_is_imported_read_and_replaced_for_an_existing_page(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    url = f"/api/pages/{page_id}/ground-truth/"
    assert alice_client.get(url).status_code == 404
    page = Page.objects.get(pk=page_id)
    # A transcription made on a scan at twice the resolution lands in this image's pixels.
    data = PAGE_XML.replace('imageWidth="2000" imageHeight="1000"',
                            f'imageWidth="{page.width * 4}" imageHeight="{page.height * 4}"').encode()
    response = alice_client.post(url, {"file": xml_upload(data, "page.xml")}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["format"], body["filename"], body["text"]) == ("page", "page.xml", "Dear Madam\nnote")
    assert body["lines"][0]["bbox"] == [25, 25, 200, 25]
    assert body["lines"][0]["words"] == [{"bbox": [25, 25, 75, 25], "text": "Dear"},
                                         {"bbox": [125, 25, 100, 25], "text": "Madam"}]
    assert alice_client.get(url).json() == body

    response = alice_client.post(url, {"file": xml_upload(alto_for(page.width, page.height))}, format="multipart")
    assert response.status_code == 201 and response.json()["format"] == "alto"
    assert GroundTruth.objects.filter(page_id=page_id).count() == 1
    assert GroundTruth.objects.get(page_id=page_id).lines.count() == 2

    response = alice_client.post(url, {"file": xml_upload(b"<html/>")}, format="multipart")
    assert response.status_code == 400 and "ALTO or PAGE XML" in response.json()["detail"]
    assert GroundTruth.objects.get(page_id=page_id).format == "alto"  # the earlier one stays


def test_only_the_owner_reads_or_imports_a_pages_ground_truth(alice_client, bob_client, upload, small_page_png):
    width, height = size_of(small_page_png)
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    url = f"/api/pages/{page_id}/ground-truth/"
    assert bob_client.post(url, {"file": xml_upload(alto_for(width, height))}, format="multipart").status_code == 404
    assert bob_client.get(url).status_code == 404
    assert not GroundTruth.objects.exists()
