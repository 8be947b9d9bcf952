"""training/finetune.py turns a base model and labelled crops into a new model
directory (the glyph classifier's one fit(), started from the base): it learns the
corrections, records parent, data counts and metrics on the fixed evaluation sets,
and saves curves and confusion matrices; the activation rule refuses a version that
forgot EMNIST or reads the held-out corrections worse."""

import json

import numpy as np
import pytest

from recognition.retraining.policy import is_not_worse
from training.feedback import Feedback
from training.finetune import FinetuneConfig, finetune
from training.glyph_classifier import augment_feedback, label_masks

TINY = FinetuneConfig(epochs=2, base_samples=300, segmenter_words=0, feedback_copies=2, validation_samples=200,
                      batch_size=64, learning_rate=1e-3, reader_epochs=0)


def test_a_label_means_every_class_that_reads_as_it_in_its_field():
    classes = ["0", "O", "o", "a", "A", "-", "<reject>"]
    keep, masks = label_masks(["O", "O", "", "é", "a"], ["upper", "any", "upper", "any", "alpha"], classes)
    assert keep.tolist() == [0, 1, 2, 4]
    named = [{classes[c] for c in np.nonzero(m)[0]} for m in masks]
    assert named == [{"0", "O", "o"}, {"O"}, {"<reject>"}, {"a"}]


def test_augmented_copies_keep_their_labels():
    x = np.zeros((3, 28, 28), np.uint8)
    x[:, 6:22, 12:16] = 255
    masks = np.eye(3, dtype=np.float32)
    out_x, out_masks = augment_feedback(x, masks, copies=2, seed=0)
    assert out_x.shape == (9, 28, 28) and (out_masks == np.concatenate([masks] * 3)).all()
    assert all(img.any() for img in out_x)


def metrics(emnist_new, emnist_old, fb_new, fb_old):
    return {"emnist": {"test_accuracy_62": emnist_new}, "parent_emnist": {"test_accuracy_62": emnist_old},
            "feedback_holdout": {"accuracy": fb_new}, "parent_feedback_holdout": {"accuracy": fb_old}}


@pytest.mark.parametrize(("figures", "expected"), [
    (metrics(0.850, 0.855, 0.90, 0.80), True),
    (metrics(0.840, 0.855, 0.95, 0.80), False),  # forgot more than a point of EMNIST
    (metrics(0.860, 0.855, 0.70, 0.80), False),  # reads the held-out corrections worse
    (metrics(0.856, 0.855, None, None), True),  # no held-out corrections yet
])
def test_the_activation_rule(figures, expected):
    assert is_not_worse(figures, tolerance=0.01)[0] is expected


def line_metrics(held_new, held_old, val_new, val_old):
    return {"line_reader": {"feedback_holdout_cer": held_new, "parent_feedback_holdout_cer": held_old,
                            "lines_val_cer": {"all": val_new}, "parent_lines_val_cer": {"all": val_old}}}


@pytest.mark.parametrize(("figures", "expected"), [
    (line_metrics(0.20, 0.30, 0.270, 0.267), True),
    (line_metrics(0.35, 0.30, 0.260, 0.267), False),  # reads the held-out corrected lines worse
    (line_metrics(0.20, 0.30, 0.290, 0.267), False),  # forgot more than a point of lines/ val
    (line_metrics(None, None, 0.270, 0.267), True),  # no held-out corrected lines yet
    ({**metrics(0.840, 0.855, 0.95, 0.80), **line_metrics(0.20, 0.30, 0.26, 0.267)}, False),  # glyphs forgot
    ({**metrics(0.856, 0.855, 0.90, 0.80), **line_metrics(0.35, 0.30, 0.26, 0.267)}, False),  # lines worse
    ({**metrics(0.856, 0.855, 0.90, 0.80), **line_metrics(0.20, 0.30, 0.26, 0.267)}, True),
])
def test_the_activation_rule_for_the_line_reader(figures, expected):
    assert is_not_worse(figures, tolerance=0.01)[0] is expected


@pytest.mark.needs_data
def test_finetuning_learns_the_corrections_and_writes_a_model_directory(emnist, model_dir, tmp_path):
    from recognition.pipeline.bundle import load_bundle
    from training.dataset import clean_sample

    data, split = emnist
    base = load_bundle(model_dir)
    folded = [c.upper() for c in base.classes]
    pool = split.test[:3000]
    crops = np.stack([clean_sample(data.images[i]) for i in pool])
    truth = [data.mapping[data.labels[i]] for i in pool]
    read = base.predict_proba(crops[..., None].astype(np.float32) / 255).argmax(axis=1)
    # "Corrections": glyphs the base model reads wrong, with their true labels.
    wrong = [k for k in range(len(pool)) if folded[read[k]] != truth[k].upper()][:45]
    held = [k for k in range(len(pool)) if k not in wrong][:15]
    progress = []
    meta = finetune(model_dir, tmp_path / "ft", "test-ft", Feedback(crops[wrong], [truth[k] for k in wrong]),
                    Feedback(crops[held], [truth[k] for k in held]), config=TINY, progress=progress.append)

    written = json.loads((tmp_path / "ft" / "meta.json").read_text())
    assert written["version"] == "test-ft" and written["parent"] == base.version
    assert written["classes"] == base.classes
    assert meta["data"]["feedback_samples"] == 45 and meta["data"]["holdout_samples"] == 15
    assert meta["data"]["feedback_training_samples"] == 45 * 3 and meta["data"]["feedback_weight"] > 1
    for key in ("emnist", "parent_emnist"):
        assert 0.5 < meta["metrics"][key]["test_accuracy_62"] <= 1
    assert meta["metrics"]["feedback_holdout"]["samples"] == 15
    for name in ("model.keras", "history.json", "curves.png", "confusion.png", "confusion-feedback.png"):
        assert (tmp_path / "ft" / name).stat().st_size > 0
    epochs = [p for p in progress if p.get("stage") == "training" and p.get("epoch")]
    assert [p["epoch"] for p in epochs] == [1, 2] and all("loss" in p and "accuracy" in p for p in epochs)

    # The new version reads most of what its parent got wrong.
    tuned = load_bundle(tmp_path / "ft").predict_proba(crops[wrong][..., None].astype(np.float32) / 255)
    right = [folded[i] == truth[k].upper() for i, k in zip(tuned.argmax(axis=1), wrong)]
    assert np.mean(right) > 0.5
