"""ALTO v4 line ground truth is read with boxes, polygons, baselines and line types, and
signatures count as handwriting."""

from training.ground_truth import read_alto

ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><sourceImageInformation><fileName>Page1.jpg</fileName></sourceImageInformation></Description>
  <Tags>
    <OtherTag ID="T1" LABEL="DefaultLine:Handwritten"/>
    <OtherTag ID="T2" LABEL="DefaultLine:Print"/>
    <OtherTag ID="T3" LABEL="DefaultLine:Signature"/>
  </Tags>
  <Layout><Page WIDTH="2000" HEIGHT="3000"><PrintSpace><TextBlock ID="b">
    <TextLine ID="l1" TAGREFS="T1" BASELINE="10 90 400 95" HPOS="8" VPOS="20" WIDTH="400" HEIGHT="90">
      <Shape><Polygon POINTS="8 20 408 20 408 110 8 110"/></Shape><String CONTENT="Dear Sir"/>
    </TextLine>
    <TextLine ID="l2" TAGREFS="T2" BASELINE="10 190 300 190" HPOS="8" VPOS="150" WIDTH="300" HEIGHT="50">
      <Shape><Polygon POINTS="8 150 308 150 308 200 8 200"/></Shape><String CONTENT="LETTERHEAD"/>
    </TextLine>
    <TextLine ID="l3" TAGREFS="T3" BASELINE="10 290 300 280" HPOS="8" VPOS="220" WIDTH="300" HEIGHT="80">
      <Shape><Polygon POINTS="8 220 308 220 308 300 8 300"/></Shape><String CONTENT="J. Smith"/>
    </TextLine>
    <TextLine ID="l4" BASELINE="10 390 300 390" HPOS="8" VPOS="330" WIDTH="300" HEIGHT="70">
      <String CONTENT="no type"/>
    </TextLine>
  </TextBlock></PrintSpace></Page></Layout>
</alto>
"""


def test_alto_lines_are_read_with_their_types(tmp_path):
    path = tmp_path / "Page1.xml"
    path.write_text(ALTO, encoding="utf-8")
    page = read_alto(path)
    assert (page.width, page.height) == (2000, 3000)
    assert page.image_path == tmp_path / "Page1.jpg"
    assert [line.kind for line in page.lines] == [
        "DefaultLine:Handwritten", "DefaultLine:Print", "DefaultLine:Signature", "untyped"
    ]
    first = page.lines[0]
    assert first.box.as_list() == [8, 20, 400, 90]
    assert first.baseline == [(10, 90), (400, 95)]
    assert first.polygon[2] == (408, 110)
    assert first.text == "Dear Sir"


def test_signatures_count_as_handwriting(tmp_path):
    path = tmp_path / "Page1.xml"
    path.write_text(ALTO, encoding="utf-8")
    assert [line.handwritten for line in read_alto(path).lines] == [True, False, True, False]
