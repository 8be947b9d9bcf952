"""Figures for a trained classifier on the held-out EMNIST test split: accuracy with 62
classes and case-folded to 36, per class, plus training curves and a confusion matrix
saved as PNG.

    python -m training.evaluate --model training/models/hwr-2 --out var/reports/hwr-2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .data import load_emnist, split_indices
from .dataset import build_clean_arrays
from .glyph_classifier import accuracy_figures, to_inputs
from .paths import EMNIST_PATH


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="model directory")
    parser.add_argument("--emnist", type=Path, default=EMNIST_PATH)
    parser.add_argument("--out", type=Path, default=None, help="folder for curves.png and confusion.png")
    return parser.parse_args(argv)


def per_class_accuracy(predicted: np.ndarray, truth: np.ndarray, names: list[str]) -> list[tuple[str, int, float]]:
    rows = []
    for cls in np.unique(truth):
        sel = truth == cls
        rows.append((names[cls], int(sel.sum()), float(np.mean(predicted[sel] == cls))))
    return rows


def evaluate(model_dir: Path, emnist_path: Path, out: Path | None) -> dict:
    emnist = load_emnist(emnist_path)
    test = build_clean_arrays(emnist, split_indices(emnist.labels).test)
    from recognition.pipeline.bundle import load_bundle

    classifier = load_bundle(model_dir).classifier
    probs = classifier.predict_proba(to_inputs(test))
    classes = classifier.classes
    figures = accuracy_figures(probs, test.y, classes)
    predicted = probs.argmax(axis=1)
    upper = [c.upper() for c in classes]
    folded_names = sorted({upper[i] for i in np.unique(test.y)})
    fold_index = {name: k for k, name in enumerate(folded_names)}
    folded_truth = np.array([fold_index[upper[t]] for t in test.y])
    folded_pred = np.array([fold_index.get(upper[p], -1) for p in predicted])
    report = {
        **figures,
        "test_samples": int(len(test.y)),
        "per_class_62": per_class_accuracy(predicted, test.y, classes),
        "per_class_36": per_class_accuracy(folded_pred, folded_truth, folded_names),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_curves(model_dir / "history.json", out / "curves.png")
        save_confusion(folded_truth, folded_pred, folded_names, out / "confusion.png")
        (out / "report.json").write_text(json.dumps(report, indent=2))
    return report


def save_curves(history_path: Path, target: Path) -> None:
    if not history_path.exists():
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = json.loads(history_path.read_text())
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("loss", "val_loss"):
        if key in history:
            ax_loss.plot(range(1, len(history[key]) + 1), history[key], label=key)
    for key in ("accuracy", "val_accuracy"):
        if key in history:
            ax_acc.plot(range(1, len(history[key]) + 1), history[key], label=key)
    ax_loss.set_xlabel("epoch")
    ax_acc.set_xlabel("epoch")
    ax_loss.legend()
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def save_confusion(truth: np.ndarray, predicted: np.ndarray, names: list[str], target: Path,
                   title: str = "Confusion on the held-out EMNIST split (sqrt of row rate)") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(names)
    matrix = np.zeros((n, n + 1), np.int64)  # last column: answers outside these classes
    for t, p in zip(truth, predicted):
        matrix[t, p if p >= 0 else n] += 1
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(11, 10))
    ax.imshow(np.sqrt(rates), cmap="viridis")
    ax.set_xticks(range(n + 1), [*names, "other"], fontsize=7)
    ax.set_yticks(range(n), names, fontsize=7)
    ax.set_xlabel("predicted (case folded)")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def print_report(report: dict) -> None:
    print(f"test glyphs: {report['test_samples']}")
    print(f"accuracy, 62 classes:          {report['test_accuracy_62']:.4f}")
    print(f"accuracy, 36 classes (folded): {report['test_accuracy_36_folded']:.4f}")
    print("per class (36, folded):")
    for name, count, acc in report["per_class_36"]:
        print(f"  {name}  n={count:5d}  acc={acc:.3f}")


def main(argv=None) -> dict:
    args = parse_args(argv)
    report = evaluate(args.model, args.emnist, args.out)
    print_report(report)
    return report


if __name__ == "__main__":
    main()
