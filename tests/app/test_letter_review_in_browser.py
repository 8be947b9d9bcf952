"""A reviewer in a real (headless Chromium) browser reviews a scanned letter line by
line: the page opens on the first doubtful line, zoomed to it; the keyboard zooms and
fits the page; a line is corrected and Enter moves to the next doubtful one; a word box
that holds two words is split; a missed line is drawn and typed; a line's type is set.
The database holds each edit as a line sample. A page still being read refreshes itself
when its job ends. Screenshots go to var/screenshots/ to be looked at."""

import pytest

from recognition.jobs import record_result, start_job
from recognition.models import LabeledSample, Line, Word
from tests.helpers.browser import BROWSER_MARKS, screenshot, script_errors, wait_until
from tests.helpers.review_helpers import generated_page, model_version, read_letter, reading
from training.paths import PAGES_DEV_DIR

pytestmark = BROWSER_MARKS

LETTER = "Lettre241"
MARCH, ELKS, FRIDAY = 5, 12, 31  # lines of the letter (its ALTO, in reading order)
TRUE_ELKS = "to act as honorary pallbearers, the Elks have planned to send"


def log_in(browser, url):
    from selenium.webdriver.common.by import By

    browser.get(url)
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("alice-pass-123")
    browser.find_element(By.ID, "login").click()


def classes(browser, element_id: str) -> str:
    # Asked in the page: the page draws its elements again after every change.
    return browser.execute_script("const e = document.getElementById(arguments[0]); return e ? e.className.baseVal "
                                  "?? e.className : ''", element_id) or ""


def focused(browser) -> str:
    return browser.execute_script("return document.activeElement && document.activeElement.id") or ""


def view_of(browser) -> tuple[float, float, float]:
    viewer = browser.find_element("id", "viewer")
    return tuple(float(viewer.get_attribute(f"data-{k}")) for k in ("scale", "x", "y"))


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-123")


@pytest.fixture
def quiet_queue(monkeypatch):
    from recognition.tasks import recognize_page

    # These tests commit for real: a page's first job must not reach the broker.
    monkeypatch.setattr(recognize_page, "apply_async", lambda *a, **k: None)


@pytest.fixture
def letter(alice, quiet_queue):
    image, xml = PAGES_DEV_DIR / f"{LETTER}.jpg", PAGES_DEV_DIR / f"{LETTER}.xml"
    if not image.exists():
        pytest.skip(f"needs {image}")
    return read_letter(alice, image, xml, missing=(FRIDAY,),
                       readings={MARCH: "Marcn 20, 1905.", ELKS: TRUE_ELKS.replace("the Elks", "theElks")},
                       confidences={MARCH: 0.3, ELKS: 0.4, 29: 0.45})


@pytest.mark.needs_data
def test_a_reviewer_transcribes_a_letter_line_by_line(live_server, browser, letter):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page, job = letter
    lines = {line.order: line for line in job.lines.all()}
    march = lines[MARCH]
    elks_line = lines[ELKS]
    log_in(browser, f"{live_server.url}/review/pages/{page.id}/")
    wait_until(lambda: browser.find_elements(By.ID, f"line-text-{march.id}"), what="the lines of the letter")
    scan = browser.find_element(By.ID, "scan")
    wait_until(lambda: browser.execute_script("return arguments[0].naturalWidth", scan) == 3023, what="the scan")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lines li.line-row")) == 33

    # The first doubtful line is open, its polygon highlighted and the scan zoomed to it.
    wait_until(lambda: focused(browser) == f"line-text-{march.id}",
               what="the March line focused")
    assert "selected" in classes(browser, f"poly-{march.id}")
    viewer = browser.find_element(By.ID, "viewer")
    fit_width = browser.execute_script("return arguments[0].clientWidth", viewer) / 3023
    scale, _x, _y = view_of(browser)
    assert scale > 1.5 * fit_width  # a 551-pixel line made legible, not the 26% page
    crop = browser.find_element(By.ID, f"line-crop-{march.id}")
    assert crop.size["height"] >= 30 and crop.size["width"] > 100
    screenshot(browser, "letter-1-opened")

    # Zoom with the keyboard while the cursor stays in the line: fit width, then in twice.
    line_input = browser.switch_to.active_element
    line_input.send_keys(Keys.ALT, "0")
    wait_until(lambda: abs(view_of(browser)[0] - fit_width) < 0.01, what="fit to width")
    line_input.send_keys(Keys.ALT, "=")
    line_input.send_keys(Keys.ALT, "=")
    wait_until(lambda: abs(view_of(browser)[0] - fit_width * 1.5625) < 0.01, what="zoomed in twice")
    assert browser.find_element(By.ID, "zoom-level").text == f"{round(fit_width * 156.25)}%"
    screenshot(browser, "letter-2-zoomed")

    # Correct the line with the keyboard: Enter saves it and opens the next doubtful line.
    line_input.send_keys(Keys.CONTROL, "a")
    line_input.send_keys("March 20, 1905.", Keys.ENTER)
    wait_until(lambda: Line.objects.get(pk=march.pk).text == "March 20, 1905.", what="the line in the database")
    sample = LabeledSample.objects.get(source="line_edit")
    assert (sample.kind, sample.line_id, sample.old_text, sample.bbox) == ("line", march.id, "Marcn 20, 1905.",
                                                                          march.bbox)
    assert sample.polygon == march.polygon and sample.created_by.username == "alice"
    wait_until(lambda: focused(browser) == f"line-text-{elks_line.id}",
               what="the next doubtful line focused")
    assert "corrected" in classes(browser, f"line-row-{march.id}")

    # Its type, from the line's menu.
    Select(browser.find_element(By.ID, f"line-kind-{march.id}")).select_by_value("typewritten")
    wait_until(lambda: Line.objects.get(pk=march.pk).kind == "typewritten", what="the line's type")
    wait_until(lambda: "Typewritten" in browser.find_element(By.ID, "status").text, what="the type shown")

    # "theElks" is one box for two words: click it on the scan, type the two words.
    the_elks = Word.objects.get(line=elks_line, text="theElks")
    browser.find_element(By.ID, f"line-text-{elks_line.id}").click()
    wait_until(lambda: "selected" in classes(browser, f"poly-{elks_line.id}"), what="the Elks line selected")
    browser.find_element(By.ID, f"box-{the_elks.id}").click()
    wait_until(lambda: browser.find_element(By.ID, "editor-id").text == str(the_elks.id), what="theElks open")
    word_input = browser.find_element(By.ID, "word-text")
    assert browser.switch_to.active_element == word_input
    word_input.send_keys(Keys.CONTROL, "a")
    word_input.send_keys("the Elks", Keys.ENTER)
    wait_until(lambda: Line.objects.get(pk=elks_line.pk).text == TRUE_ELKS, what="the split in the database")
    split = LabeledSample.objects.get(source="word_split")
    assert (split.kind, split.new_text) == ("line", TRUE_ELKS)
    words = list(Line.objects.get(pk=elks_line.pk).words.order_by("order").values_list("text", flat=True))
    assert words[5:7] == ["the", "Elks"]
    assert not LabeledSample.objects.filter(kind="word").exists()
    wait_until(lambda: "Split" in browser.find_element(By.ID, "status").text, what="the split shown")
    screenshot(browser, "letter-3-split")

    # "Friday." was missed: the whole page, Alt+L, drag a box over it, type it.
    word_input.send_keys(Keys.ALT, "9")
    word_input.send_keys(Keys.ALT, "l")
    wait_until(lambda: browser.find_element(By.ID, "draw-line").get_attribute("aria-pressed") == "true",
               what="drawing mode")
    scale, vx, vy = view_of(browser)
    x, y, w, h = 564, 3157, 282, 148  # Friday. in the letter's ALTO

    def offset(px, py):  # page pixels -> offsets from the viewer's middle
        return (px * scale + vx - viewer.size["width"] / 2, py * scale + vy - viewer.size["height"] / 2)

    start, end = offset(x, y), offset(x + w, y + h)
    ActionChains(browser).move_to_element_with_offset(viewer, *start).click_and_hold() \
        .move_to_element_with_offset(viewer, (start[0] + end[0]) / 2, (start[1] + end[1]) / 2) \
        .move_to_element_with_offset(viewer, *end).release().perform()
    drawn = wait_until(lambda: Line.objects.filter(job=job, corrected_at__isnull=False, words__isnull=True,
                                                   samples__source="line_added").first(), what="the drawn line")
    slack = 4 / scale  # a few screen pixels of the mouse's rounding, in page pixels
    assert abs(drawn.x - x) <= slack and abs(drawn.y - y) <= slack
    assert abs(drawn.w - w) <= 2 * slack and abs(drawn.h - h) <= 2 * slack
    wait_until(lambda: focused(browser) == f"line-text-{drawn.id}",
               what="the drawn line's text focused")
    screenshot(browser, "letter-4-drawn")
    browser.switch_to.active_element.send_keys("Friday.", Keys.ENTER)
    wait_until(lambda: Line.objects.get(pk=drawn.pk).text == "Friday.", what="the drawn line's text")
    job.refresh_from_db()
    assert "o'clock\nFriday.\nVery truly yours," in job.text
    assert set(LabeledSample.objects.filter(line=drawn).values_list("source", flat=True)) == {"line_added",
                                                                                              "line_edit"}
    wait_until(lambda: "Saved line" in browser.find_element(By.ID, "status").text, what="the save shown")
    screenshot(browser, "letter-5-after")
    assert script_errors(browser) == []


def test_a_page_being_read_refreshes_itself_when_its_job_ends(live_server, browser, alice, quiet_queue, font_glyphs):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from selenium.webdriver.common.by import By

    from recognition import services
    from tests.conftest import png_bytes

    generated = generated_page(font_glyphs)
    page = services.create_page(owner=alice, upload=SimpleUploadedFile("page.png", png_bytes(generated.image),
                                                                       content_type="image/png"))
    job = page.jobs.get()
    log_in(browser, f"{live_server.url}/review/pages/{page.id}/")
    wait_until(lambda: browser.find_elements(By.ID, "live"), what="the page being read")
    assert browser.find_element(By.ID, "live-status").text == "queued"
    assert not browser.find_elements(By.ID, "review")
    start_job(job.id)
    wait_until(lambda: browser.find_element(By.ID, "live-status").text == "running", what="the job seen running")
    screenshot(browser, "live-1-running")
    record_result(job.id, reading(generated), b"\x89PNG fake overlay", model_version())
    wait_until(lambda: browser.find_elements(By.ID, "review"), what="the page refreshed with its reading")
    assert not browser.find_elements(By.ID, "live")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lines li.line-row")) == 2
    assert script_errors(browser) == []


def test_a_page_read_again_does_not_reload_over_a_line_being_typed(live_server, browser, alice, quiet_queue,
                                                                     font_glyphs):
    from selenium.webdriver.common.by import By

    from recognition import services
    from tests.helpers.review_helpers import read_page, record

    generated = generated_page(font_glyphs)
    page, job = read_page(alice, generated)
    again = services.reprocess_page(page)
    log_in(browser, f"{live_server.url}/review/pages/{page.id}/")
    first = job.lines.get(order=0)
    wait_until(lambda: browser.find_elements(By.ID, f"line-text-{first.id}"), what="the lines")
    assert "Being read again" in browser.find_element(By.ID, "live").text
    typing = browser.find_element(By.ID, f"line-text-{first.id}")
    typing.send_keys(" TYPED")
    record(again, generated)
    wait_until(lambda: "Reload to see it" in browser.find_element(By.ID, "live").text, what="the offer to reload")
    assert browser.find_element(By.ID, f"line-text-{first.id}").get_attribute("value").endswith(" TYPED")
    screenshot(browser, "live-2-read-again-while-typing")
    assert script_errors(browser) == []


def test_a_reviewer_reorders_and_deletes_lines_with_the_mouse(live_server, browser, alice, quiet_queue,
                                                              font_glyphs):
    from selenium.webdriver.common.by import By

    from tests.helpers.review_helpers import read_page

    page, job = read_page(alice, generated_page(font_glyphs))
    first, second = job.lines.order_by("order")
    log_in(browser, f"{live_server.url}/review/pages/{page.id}/")
    wait_until(lambda: browser.find_elements(By.ID, f"line-row-{second.id}"), what="the lines")
    browser.find_element(By.CSS_SELECTOR, f"#line-row-{second.id} button[title^='Earlier']").click()
    wait_until(lambda: Line.objects.get(pk=second.pk).order == 0, what="the line moved up")
    wait_until(lambda: browser.find_element(By.ID, "text").text.startswith("FORM 42"), what="the text reordered")
    browser.find_element(By.ID, f"line-delete-{first.id}").click()
    browser.switch_to.alert.accept()
    wait_until(lambda: not Line.objects.filter(pk=first.pk).exists(), what="the line deleted")
    wait_until(lambda: not browser.find_elements(By.ID, f"line-row-{first.id}"), what="its row gone")
    job.refresh_from_db()
    assert job.text == "FORM 42"
    assert sorted(LabeledSample.objects.values_list("source", flat=True)) == ["line_deleted", "reading_order"]
    assert script_errors(browser) == []
