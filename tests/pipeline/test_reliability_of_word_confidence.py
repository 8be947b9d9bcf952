"""evaluate-words says how far its confidence can be trusted: the fields in equal-width
confidence bins, each bin's mean confidence against the share read right, as a table and
as a reliability plot (PNG)."""

from training.evaluate_words import Sample, reliability, save_reliability_plot


def samples() -> list[Sample]:
    sure = [Sample(f"s{i}", "ANNA", "ANNA", 0.95) for i in range(9)] + [Sample("s9", "ANNA", "ANNE", 0.97)]
    doubtful = [Sample("d0", "PAUL", "PAUL", 0.15), Sample("d1", "PAUL", "RAUL", 0.1), Sample("d2", "LEA", "", 0.12)]
    return sure + doubtful + [Sample("top", "MARC", "MARC", 1.0)]


def test_confidence_bins_against_words_read_right():
    rows = reliability(samples())
    assert [(r["from"], r["to"], r["words"]) for r in rows] == [(0.1, 0.2, 3), (0.9, 1.0, 11)]
    low, high = rows
    assert low["accuracy"] == round(1 / 3, 4) and high["accuracy"] == round(10 / 11, 4)
    assert low["mean_confidence"] == round((0.15 + 0.1 + 0.12) / 3, 4)


def test_the_reliability_plot_is_a_png(tmp_path):
    path = tmp_path / "plots" / "reliability.png"
    save_reliability_plot(reliability(samples()), path, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
