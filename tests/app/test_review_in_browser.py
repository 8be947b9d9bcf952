"""A reviewer in a real (headless Chromium) browser logs in, opens a form, corrects the
doubtful word with the keyboard, moves on with Tab, confirms with the mouse, and the
database holds the corrections. (Whole pages are reviewed line by line:
test_letter_review_in_browser.py.)"""

import pytest

from recognition.models import LabeledSample, Word
from tests.helpers.browser import BROWSER_MARKS, wait_until
from tests.helpers.review_helpers import generated_page, read_page

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(django_user_model, font_glyphs, monkeypatch):
    from recognition.tasks import recognize_page

    # This test commits for real: the page's first job must not reach the broker.
    monkeypatch.setattr(recognize_page, "apply_async", lambda *a, **k: None)
    alice = django_user_model.objects.create_user("alice", password="alice-pass-123")
    # A form of two short fields: reviewed word by word and character by character.
    return read_page(alice, generated_page(font_glyphs), layout="word", readings={"HELLO": "HELL0", "FORM": "F0RM"},
                     confidences={"HELLO": 0.2, "FORM": 0.3, "42": 0.4})


def test_a_reviewer_corrects_a_word_with_the_keyboard(live_server, browser, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page_row, job = page
    browser.get(f"{live_server.url}/review/pages/{page_row.id}/")
    # Not logged in: the login form, then back to the page.
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("alice-pass-123")
    browser.find_element(By.ID, "login").click()
    wait_until(lambda: browser.find_elements(By.ID, "word-text"), what="the review page")

    # The scan comes through the permission-checked endpoint and has loaded.
    scan = browser.find_element(By.ID, "scan")
    assert scan.get_attribute("src").endswith(f"/api/pages/{page_row.id}/image/")
    wait_until(lambda: browser.execute_script("return arguments[0].naturalWidth", scan) > 0, what="the scan")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#boxes rect.word")) == 4

    # The least confident word is open for editing, with the cursor in it.
    word_input = browser.find_element(By.ID, "word-text")
    hello = Word.objects.get(line__job=job, text="HELL0")
    wait_until(lambda: browser.find_element(By.ID, "editor-id").text == str(hello.id), what="HELL0 selected")
    assert browser.switch_to.active_element == word_input
    word_input.send_keys(Keys.CONTROL, "a")
    word_input.send_keys("HELLO", Keys.ENTER)

    hello_saved = lambda: Word.objects.get(pk=hello.pk).text == "HELLO"  # noqa: E731
    wait_until(hello_saved, what="the correction in the database")
    hello.refresh_from_db()
    assert hello.corrected_by.username == "alice"
    job.refresh_from_db()
    assert job.text == "HELLO WORLD\nF0RM 42"
    assert LabeledSample.objects.filter(kind="char", superseded=False).count() == 5

    # Enter moved on to the next doubtful word; the page text beside the scan follows.
    form = Word.objects.get(line__job=job, text="F0RM")
    wait_until(lambda: browser.find_element(By.ID, "editor-id").text == str(form.id), what="F0RM selected")
    assert "HELLO" in browser.find_element(By.ID, "text").text
    # Tab skips to the next doubtful word without saving anything.
    browser.switch_to.active_element.send_keys(Keys.TAB)
    forty_two = Word.objects.get(line__job=job, text="42")
    wait_until(lambda: browser.find_element(By.ID, "editor-id").text == str(forty_two.id), what="42 selected")
    assert Word.objects.get(pk=form.pk).corrected_at is None

    # With the mouse: click the word's box on the scan, fix one character, Save.
    browser.find_element(By.CSS_SELECTOR, f"#box-{form.id}").click()
    wait_until(lambda: browser.find_element(By.ID, "editor-id").text == str(form.id), what="click selects F0RM")
    word_input = browser.find_element(By.ID, "word-text")
    word_input.send_keys(Keys.CONTROL, "a")
    word_input.send_keys("FORM")
    browser.find_element(By.ID, "word-save").click()
    wait_until(lambda: Word.objects.get(pk=form.pk).text == "FORM", what="the mouse correction")
    job.refresh_from_db()
    assert job.text == "HELLO WORLD\nFORM 42"

    # One character's label, with the keyboard: the word and the page follow.
    wait_until(lambda: "Saved" in browser.find_element(By.ID, "status").text, what="the page to show the save")
    browser.find_element(By.CSS_SELECTOR, f"#word-{forty_two.id}").click()
    two = forty_two.glyphs.get(order=1)
    wait_until(lambda: browser.find_elements(By.ID, f"char-{two.id}"), what="the character boxes of 42")
    char_input = browser.find_element(By.ID, f"char-{two.id}")
    char_input.send_keys(Keys.BACKSPACE, "3", Keys.ENTER)
    wait_until(lambda: Word.objects.get(pk=forty_two.pk).text == "43", what="the character correction")
    sample = LabeledSample.objects.get(glyph=two, superseded=False)
    assert (sample.source, sample.old_text, sample.new_text) == ("char_edit", "2", "3")
