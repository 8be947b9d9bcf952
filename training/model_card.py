"""Write MODEL_CARD.md for a model version from its meta.json (the character
classifier) and, when it has them, reader/meta.json (the field reader) and
line_reader/meta.json (the line reader).

    python -m training.model_card training/models/hwr-2
"""

from __future__ import annotations

from pathlib import Path

from recognition.pipeline import bundle

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

{reader_section}{line_finder_section}{line_reader_section}## Limits
The glyph classifier and the field reader were trained on isolated characters and on
fields composed of them: they read block capitals in form fields, not cursive. Pages are
read by the line reader when the version has one (see its section for what it reads and
how well).
"""


LINE_READER_TEMPLATE = """## The line reader (`line_reader/`)
Reads whole text lines of pages (layout `page`): a CNN over the line strip normalised to
{height} px high (cut from the line's polygon, ink of other lines painted out, paper at 0
and ink near 1), two bidirectional LSTM layers across its columns and a CTC output over
{n_symbols} characters: English and French letters with accents, Esperanto's, digits,
punctuation and space (about {params} parameters). Greedy (best path) decoding; words
are split at spaces and each character's box spans the frames from its firing to the next
character's.

Data: the train split of `../shared/data/lines` ({sources}), 16,792 real handwritten lines
of 5 collections, plus {synthetic} lines a epoch rendered from their transcriptions in
typewriter and book fonts (Debian's Liberation, DejaVu and FreeFont) and in 65
handwriting fonts of `../shared/data/fonts`, all with degradation augmentation (width,
slant, stroke width, blur, contrast, noise). No pages-dev page is used.

```
{command}
```
{epochs} epochs of {steps} steps (batch 16, Adam, learning rate 1e-3 after a warm-up,
halved every epoch from epoch {decay_from} on),
{train_seconds:.0f} s on this machine's two CPU cores. The checkpoint shipped is the
epoch with the lowest CER on `lines/` val (979 lines of other pages): epoch {best_epoch}.

CER on `lines/` val per source (greedy, case-sensitive):

| source | CER |
|---|---|
{val_rows}

End-to-end figures on pages-dev are in `BENCHMARKS.md`.

"""


LINE_FINDER_TEMPLATE = """## The line finder (`line_finder/`)
Finds the text lines of a page (layout `page`): a small U-Net (about {params} parameters)
over the page scaled to a {side}-pixel long side predicts two maps at half that
resolution, each line's core (from its baseline up to about its x-height) and each
line's region (its polygon). Connected cores are lines; each region pixel goes to the
nearest core, which gives the polygon; the lower edge of the core is the baseline
(`recognition/pipeline/line_finder.py`). Lines are then put in reading order by
`layout.reading_order`.

Data: the 445 train pages of `../shared/data/pages` (8 collections, English and French,
1600-2024) less every tenth page of each collection, kept as `tune` pages; plus, for a
fifth of the samples, typewritten and printed letters rendered here (the annotated
collections hold handwriting only). Augmentation: scale 0.7-1.3, rotation up to 3
degrees, contrast, blur, noise, paper tone, bleed-through of another page. Trained on
512-pixel crops. No pages/ val page and no pages-dev page is used.

```
{command}
```
{epochs} epochs, {train_seconds:.0f} s on one CPU core of this machine (while other
training shared the machine). {note}The checkpoint shipped (epoch {best_epoch}) and the
vectorisation settings (`{settings}`) are the ones with the best line F1 on the 42 tune
pages ({tune_f1:.3f}).
Figures on pages/ val and pages-dev are in `BENCHMARKS.md`.

"""


def line_finder_section(model_dir: Path) -> str:
    folder = Path(model_dir) / bundle.LINE_FINDER_DIR
    if not bundle.has_network(folder):
        return ""
    meta = bundle.read_meta(folder)
    history = meta.get("history", [])
    return LINE_FINDER_TEMPLATE.format(
        params=f"{meta.get('parameters', 0):,}", side=meta["input_side"], command=meta.get("command", ""),
        epochs=len(history), train_seconds=sum(h.get("seconds", 0) for h in history),
        best_epoch=meta.get("best_epoch"), settings=meta.get("settings"), tune_f1=meta.get("tune_f1", 0.0),
        note=(meta["training_note"] + " ") if meta.get("training_note") else "",
    )


def line_reader_section(model_dir: Path) -> str:
    folder = Path(model_dir) / bundle.LINE_READER_DIR
    if not bundle.has_network(folder):
        return ""
    meta = bundle.read_meta(folder)
    history = meta.get("history", [])
    val = meta.get("val_cer") or {}
    return LINE_READER_TEMPLATE.format(
        height=meta["strip_height"], n_symbols=len(meta["alphabet"]), params=f"{meta.get('parameters', 0):,}",
        sources="hooker, copiste, peraire, cremma-mss-19, cremma-mss-20", synthetic=meta.get("synthetic_per_epoch"),
        command=meta.get("command", ""), epochs=len(history), steps=meta.get("steps_per_epoch"),
        train_seconds=sum(h.get("seconds", 0) for h in history), best_epoch=meta.get("best_epoch"),
        decay_from=meta.get("decay_from", 9), val_rows="\n".join(f"| {k} | {v:.1%} |" for k, v in val.items()),
    )


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
    folder = Path(model_dir) / bundle.FIELD_READER_DIR
    if not bundle.has_network(folder):
        return ""
    meta = bundle.read_meta(folder)
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
    meta = bundle.read_meta(model_dir)
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
        reader_section=reader_section(model_dir), line_finder_section=line_finder_section(model_dir),
        line_reader_section=line_reader_section(model_dir),
    )
    if meta.get("networks_from_parent"):
        inherited = ", ".join(meta["networks_from_parent"])
        note = (f"This version keeps {meta['parent']}'s {inherited} unchanged (same weights; the figures and "
                f"commands below are theirs) and adds the networks described further down.\n\n")
        title_end = text.index("\n\n") + 2
        text = text[:title_end] + note + text[title_end:]
    path = model_dir / "MODEL_CARD.md"
    path.write_text(text)
    return path


if __name__ == "__main__":
    import sys

    print(write_model_card(Path(sys.argv[1])))
