"""The learned line finder's maps become lines: one line per core, and a band the network
marks on a faint trace (bleed-through from the other side of the sheet, a shadow) is
dropped when the page's real lines are much darker. No network here: the maps are drawn."""

from __future__ import annotations

import numpy as np

from recognition.pipeline.line_finder import CORE, REGION, FinderSettings, vectorise


def page_with_three_lines(faint_ink: float) -> tuple[np.ndarray, np.ndarray]:
    """Network input (ink high) and maps for three lines; the last one's ink is faint."""
    maps = np.zeros((320, 400, 2), np.float32)
    page = np.full((320, 400), 0.05, np.float32)
    for k, y in enumerate((60, 140, 220)):
        maps[y - 6 : y, 40:360, CORE] = 0.9
        maps[y - 20 : y + 8, 30:370, REGION] = 0.9
        ink = faint_ink if k == 2 else 0.85
        page[y - 12 : y + 2, 40:360] = np.where(np.arange(320) % 7 < 3, ink, 0.05)
    return page, maps


def found_rows(found) -> list[int]:
    return sorted(round(line.baseline[0][1], -1) for line in found)


def test_each_core_becomes_one_line_with_its_baseline():
    page, maps = page_with_three_lines(faint_ink=0.85)
    found = vectorise(maps, 1.0, (400, 320), FinderSettings(), page=page)
    assert found_rows(found) == [60, 140, 220]


def test_a_faint_trace_beside_dark_lines_is_not_a_line():
    page, maps = page_with_three_lines(faint_ink=0.15)
    found = vectorise(maps, 1.0, (400, 320), FinderSettings(min_strength=0.4), page=page)
    assert found_rows(found) == [60, 140]


def test_lines_of_one_faint_hand_are_all_kept():
    # Faint only beside darker lines: a page written all in pale ink keeps every line.
    page, maps = page_with_three_lines(faint_ink=0.15)
    page = np.where(page > 0.1, 0.15, page).astype(np.float32)
    found = vectorise(maps, 1.0, (400, 320), FinderSettings(min_strength=0.4), page=page)
    assert found_rows(found) == [60, 140, 220]


def test_without_a_minimum_strength_every_line_is_kept():
    page, maps = page_with_three_lines(faint_ink=0.15)
    assert len(vectorise(maps, 1.0, (400, 320), FinderSettings(min_strength=0.0), page=page)) == 3
