"""The line reader's character language model: count it, choose how much the beam search
listens to it, and put both into a model version's line-reader folder.

    python -m training.language_model --model training/models/hwr-8

The n-grams are counted on the text of the `lines/` train split only. The beam search
settings are chosen on `lines/` val without its `copiste` lines: copiste's writers copied
the same Wikipedia texts, and a fifth of its val text also stands in the train text, so
on it the model would be reciting rather than predicting. copiste is still measured and
printed. pages-dev is never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from recognition.pipeline import bundle
from recognition.pipeline import language_model as lm_format
from recognition.pipeline.read import BeamSettings, beam_search, best_path

from .line_reader import LINES_DIR, cer, clean_text, load_real_lines, read_lines_tsv
from .paths import REPO_ROOT

ORDER = 6
MIN_COUNT = 2
TUNE_EXCLUDED = {"copiste"}  # its val text repeats its train text (see above)
LM_WEIGHTS = (0.3, 0.5, 0.7, 1.0)
CHAR_BONUSES = (0.5, 1.0, 1.5, 2.0)
SEARCH = {"width": 10, "per_frame": 5, "char_floor": 0.002, "sure_blank": 0.99}


def train_texts(lines_dir: Path = LINES_DIR) -> list[str]:
    return [t for r in read_lines_tsv(lines_dir) if r["split"] == "train" and (t := clean_text(r["text"]))]


def build(order: int = ORDER, min_count: int = MIN_COUNT, lines_dir: Path = LINES_DIR) -> lm_format.CharLanguageModel:
    return lm_format.count_ngrams(train_texts(lines_dir), order, min_count)


def cer_by_source(readings: list[str], samples) -> dict:
    """CER over all lines, over the lines settings are chosen on, and per source."""
    errors: dict[str, list[int]] = {}
    for text, sample in zip(readings, samples, strict=True):
        e, n = cer(text, sample.text)
        for key in ("all", sample.source) + (() if sample.source in TUNE_EXCLUDED else ("tune",)):
            errors.setdefault(key, [0, 0])
            errors[key][0] += e
            errors[key][1] += n
    return {k: round(e / max(1, n), 4) for k, (e, n) in errors.items()}


def tune(model_dir: Path, model: lm_format.CharLanguageModel, work: Path | None = None, log=print) -> dict:
    """Every (weight, bonus) of the grid on `lines/` val; the one with the lowest CER on
    the tune lines wins. Returns the table, greedy decoding first."""
    reader = bundle.line_reader_of(model_dir)
    if reader is None:
        raise SystemExit(f"{model_dir} has no line reader")
    val = load_real_lines("val", cache=(work / "val-lines.npz") if work else None)
    probs = reader.frame_probs([s.pixels.astype(np.float32) / 255 for s in val])
    alphabet = reader.info.alphabet
    rows = [{"decoding": "greedy", **cer_by_source([best_path(p, alphabet).text for p in probs], val)}]
    log(json.dumps(rows[-1]))
    for weight, bonus in itertools.product(LM_WEIGHTS, CHAR_BONUSES):
        settings = BeamSettings(lm_weight=weight, char_bonus=bonus, **SEARCH)
        started = time.process_time()
        texts = [beam_search(p, alphabet, model, settings).text for p in probs]
        ms = 1000 * (time.process_time() - started) / len(val)
        rows.append({"decoding": "beam", "settings": asdict(settings), "ms_per_line": round(ms, 1),
                     **cer_by_source(texts, val)})
        log(json.dumps(rows[-1]))
    return {"rows": rows, "chosen": min(rows[1:], key=lambda r: r["tune"])}


def install(model_dir: Path, model: lm_format.CharLanguageModel, table: dict, order: int, min_count: int) -> None:
    """The language model and the chosen beam settings -> the version's line-reader folder."""
    folder = Path(model_dir) / bundle.LINE_READER_DIR
    lm_format.save(model, folder / bundle.LANGUAGE_MODEL, meta={"order": order, "min_count": min_count})
    meta = bundle.read_meta(folder)
    meta["beam_search"] = table["chosen"]["settings"]
    meta["language_model"] = {
        "file": bundle.LANGUAGE_MODEL, "order": order, "min_count": min_count, "contexts": len(model.counts),
        "text": "lines/ train split (clean_text), counted by training.language_model",
        "chosen_on": "lines/ val without " + ", ".join(sorted(TUNE_EXCLUDED)) + ": lowest CER over the grid",
        "lines_val": table["rows"],
        "command": f"python -m training.language_model --model {model_dir} --order {order} --min-count {min_count}",
    }
    bundle.write_meta(folder, meta)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True, help="a model version whose line reader gets the model")
    p.add_argument("--order", type=int, default=ORDER)
    p.add_argument("--min-count", type=int, default=MIN_COUNT)
    p.add_argument("--work", type=Path, default=REPO_ROOT / "var" / "line-reader", help="where lines/ val is cached")
    args = p.parse_args(argv)
    model = build(args.order, args.min_count)
    print(f"{len(model.counts)} contexts of up to {args.order - 1} characters", flush=True)
    table = tune(args.model, model, args.work, log=lambda m: print(m, flush=True))
    install(args.model, model, table, args.order, args.min_count)
    print("chosen:", json.dumps(table["chosen"]))


if __name__ == "__main__":
    main()
