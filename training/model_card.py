"""Write MODEL_CARD.md next to a trained model from its meta.json."""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATE = """# Model card: {version}

A character classifier for the handwriting recognition service: a small VGG-style CNN
(about {params} parameters) over 28x28 crops normalised like EMNIST, with {n_classes}
classes: `0-9`, `A-Z`, `a-z`, the dash `-`, and `{reject}` ("not a character", so that
the decoder can refuse crops holding two letters or a piece of one).

Why 62 case-sensitive letter classes and not 36: the classes stay as the writer made
them; a field's character set folds them at decoding time (for `upper`, P(E) + P(e)
counts for E, and a crop that looks like `0` counts for `O`), so one model serves
case-sensitive text and capitals-only forms alike. We report both views below.

## Data
- EMNIST ByClass (`{emnist}`), split by class with a fixed seed into train / validation /
  test (80 / 10 / 10). Training uses the train part only.
- Per training glyph: one clean copy and {copies} scan-like copies (size, pen width,
  slant, rotation, elastic wobble, blur, noise, JPEG, broken strokes, slivers of
  neighbouring letters, trimmed edges), all normalised by the recogniser's own code.
{extra_data}- Synthetic reject and dash samples: {synthetic_share:.0%} of the training set.
- Samples: {train_samples} training, {validation_samples} validation, {test_samples} test.

## Training
```
{command}
```
{epochs} epochs, Adam with cosine decay, batch 256, seed {seed}; {train_seconds:.0f} s on
this machine's CPU.

## Figures (held-out EMNIST test split, clean crops through the inference path)
| measure | value |
|---|---|
| accuracy, 62 classes | {acc62:.2%} |
| accuracy, 36 classes (case folded) | {acc36:.2%} |

Recognition figures on real scanned fields and pages are in `BENCHMARKS.md`.

## Limits
Trained on isolated characters: cursive, joined-up writing is read only as far as the
segmenter can cut it into letters. Only Latin letters, digits and the dash are
classes; other punctuation is not recognised.
"""


def write_model_card(model_dir: Path, command: str) -> Path:
    meta = json.loads((model_dir / "meta.json").read_text())
    data = meta["data"]
    extra = ""
    if data.get("segmenter_words"):
        extra = (f"- Crops cut by our own segmenter from {data['segmenter_words']} generated words of "
                 "real EMNIST glyphs (touching and spaced letters), labelled by the glyph pixels they hold.\n")
    if data.get("font_samples"):
        extra += f"- {data['font_samples']} characters drawn from Debian handwriting fonts ({data.get('fonts', '')}).\n"
    text = TEMPLATE.format(
        version=meta["version"], params=f"{meta.get('parameters', 0):,}", n_classes=len(meta["classes"]),
        reject=meta["classes"][-1], emnist=Path(data["emnist"]).name, copies=data["copies"], extra_data=extra,
        synthetic_share=data["synthetic_share"], train_samples=data["train_samples"],
        validation_samples=data["validation_samples"], test_samples=data["test_samples"], command=command,
        epochs=data["epochs"], seed=data["seed"], train_seconds=meta.get("train_seconds", 0),
        acc62=meta["metrics"]["test_accuracy_62"], acc36=meta["metrics"]["test_accuracy_36_folded"],
    )
    path = model_dir / "MODEL_CARD.md"
    path.write_text(text)
    return path
