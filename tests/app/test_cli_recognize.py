"""`manage.py recognize` reads files and folders in-process and writes CSV or JSON."""

import csv
import json

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from training.synthetic_pages import compose_page


@pytest.fixture
def scans(tmp_path, font_glyphs):
    folder = tmp_path / "scans"
    folder.mkdir()
    rng = np.random.default_rng(8)
    for name, text in [("a.png", "HELLO"), ("b.png", "WORLD")]:
        cv2.imwrite(str(folder / name), compose_page([text], font_glyphs, rng, char_height=40, margin=20).image)
    return folder


def test_csv_has_one_row_per_file(scans, tmp_path):
    out = tmp_path / "out.csv"
    call_command("recognize", str(scans), "--layout", "word", "--charset", "upper", "--output", str(out))
    rows = list(csv.DictReader(out.open()))
    assert [r["file"] for r in rows] == ["a.png", "b.png"]
    assert all(r["text"] and 0.0 <= float(r["confidence"]) <= 1.0 for r in rows)
    assert all(r["text"] == r["text"].upper() for r in rows)


def test_json_has_the_api_result_structure(scans, tmp_path):
    out = tmp_path / "out.json"
    call_command("recognize", str(scans / "a.png"), "--layout", "line", "--output", str(out))
    [item] = json.loads(out.read_text())
    assert item["file"].endswith("a.png")
    line = item["result"]["lines"][0]
    assert {"bbox", "text", "confidence", "words"} <= set(line)
    assert {"bbox", "text", "confidence", "chars"} <= set(line["words"][0])


def test_a_bad_charset_is_a_command_error(scans):
    with pytest.raises(CommandError):
        call_command("recognize", str(scans), "--charset", "Z-A")
