"""Write MODEL_CARD.md for a model version from its meta.json (the character
classifier) and, when it has one, reader/meta.json (the sequence reader).

    python -m training.model_card training/models/hwr-2
"""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATE = """# Model card: {version}

A character classifier for the handwriting recognition service: a VGG-style CNN
(`{arch}`, about {params} parameters) over 28x28 crops normalised like EMNIST, with {n_classes}
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

{reader_section}## Limits
Trained on isolated characters and on fields composed of them: cursive, joined-up
writing is read only as far as the segmenter can cut it into letters. Only Latin
letters, digits, the dash and the apostrophe are read; other punctuation is not.
"""


READER_TEMPLATE = """## The sequence reader (`reader/`)
A second network of the same version reads each word strip as a whole: a CNN over the
ink strip normalised to {height} px high, one bidirectional LSTM across its columns
and a CTC output over {n_symbols} characters (about {params} parameters). The
recogniser scores every spelling the glyph decoder or the reader proposes with both
and keeps the best sum (`recognition/pipeline/combine.py`), so the reader's context
can overrule a doubtful glyph while characters keep the decoder's boxes.

Data: {fields} generated form fields: names, dictionary words and non-words written
with real handwritten characters from EMNIST's training part only (never its
validation or test part), {variants}laid out as spaced, ordinary or cramped writing,
drawn at scan size with blur, noise and JPEG, with printed labels, rules and cut-off
neighbouring rows, then cleaned and cut by the recogniser's own field code. No
names-dev or pages-dev image is used.

```
{command}
```
{epochs} epochs{init}; {train_seconds:.0f} s on this machine's CPU. On {val_fields} generated
validation fields (EMNIST validation glyphs): {val_acc:.1%} of fields read exactly,
CER {val_cer:.1%} (greedy decoding, case-sensitive, all 65 characters).

"""


def reader_section(model_dir: Path) -> str:
    path = Path(model_dir) / "reader" / "meta.json"
    if not path.exists():
        return ""
    meta = json.loads(path.read_text())
    data = meta["data"]
    init = data.get("initialised_from")
    return READER_TEMPLATE.format(
        height=meta.get("height", 32), n_symbols=len(meta["alphabet"]), params=f"{meta.get('parameters', 0):,}",
        fields=data.get("train_fields"), command=meta.get("command", ""), epochs=data.get("epochs"),
        variants=("French capital M and barred J drawn as pen strokes for about a third of those letters, "
                  if data.get("variant_share") else ""),
        init=f" (continued from `{init}`)" if init else "", train_seconds=meta.get("train_seconds", 0),
        val_fields=data.get("validation_fields"), val_acc=meta["metrics"]["val_field_accuracy"],
        val_cer=meta["metrics"]["val_cer"],
    )


def write_model_card(model_dir: Path, command: str | None = None) -> Path:
    model_dir = Path(model_dir)
    meta = json.loads((model_dir / "meta.json").read_text())
    command = command or meta.get("command", "")
    data = meta["data"]
    extra = ""
    if data.get("segmenter_words"):
        extra = (f"- Crops cut by our own segmenter from {data['segmenter_words']} generated words of "
                 "real EMNIST glyphs (touching and spaced letters), labelled by the glyph pixels they hold.\n")
    if data.get("font_samples"):
        extra += f"- {data['font_samples']} characters drawn from Debian handwriting fonts ({data.get('fonts', '')}).\n"
    if data.get("variant_samples"):
        extra += (f"- {data['variant_samples']} each of the French capital M (its middle strokes stop above the "
                  "baseline) and the barred J, drawn as pen strokes (`training/letterforms.py`): EMNIST's "
                  "American writers seldom write them, French forms often do.\n")
    text = TEMPLATE.format(
        version=meta["version"], arch=data.get("arch", "small"), params=f"{meta.get('parameters', 0):,}",
        n_classes=len(meta["classes"]),
        reject=meta["classes"][-1], emnist=Path(data["emnist"]).name, copies=data["copies"], extra_data=extra,
        synthetic_share=data["synthetic_share"], train_samples=data["train_samples"],
        validation_samples=data["validation_samples"], test_samples=data["test_samples"], command=command,
        epochs=data["epochs"], seed=data["seed"], train_seconds=meta.get("train_seconds", 0),
        acc62=meta["metrics"]["test_accuracy_62"], acc36=meta["metrics"]["test_accuracy_36_folded"],
        reader_section=reader_section(model_dir),
    )
    path = model_dir / "MODEL_CARD.md"
    path.write_text(text)
    return path


if __name__ == "__main__":
    import sys

    print(write_model_card(Path(sys.argv[1])))
