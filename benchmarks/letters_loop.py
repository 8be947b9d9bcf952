"""Correct lines -> retrain -> read letters the model never saw, with the service playing
itself and this script playing the transcriber, on the 13 letters of pages-dev.

    python -m benchmarks.letters_loop --out var/bench-letters

1. Every letter is uploaded through the service (`create_page`, layout page) and read by
   the recognition task (Celery eager mode) with the active model.
2. The transcriber corrects the first 8 letters (sorted by file name) with the functions
   the review page calls, the truth taken from their ALTO: every found line that matches
   a true line (box IoU >= 0.5, one to one, as evaluate-pages matches them) gets the true
   text (`correct_line`), a found line that matches none is deleted (`delete_line`), and
   a true line that was not found is drawn as a box with its text (`add_line`).
3. A retraining run fine-tunes the active model on those corrections
   (`manage.py train --from-feedback --here`: the training task's own code, in a
   separate process like a training worker). Only line samples exist, so the glyph
   classifier and the field reader are carried over and the line reader is fine-tuned
   (corrected lines mixed with lines/ train lines).
4. The other 5 letters are read again (`reprocess_page`) with the new version; their
   end-to-end CER per line kind (found lines matched to true lines; a missed line costs
   its length, an invented one its length) before and after, case-folded and not, and
   the reader's CER on lines/ val from the run.

The split (first 8 by name corrected, last 5 measured) is fixed before any figure is
seen; nothing is tuned on the 5. Uses a database, media and model folder of its own
under --out (SQLite), never the development database, and no broker.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

from .relabel_loop import retrain, run_figures, setup_django

REPO = Path(__file__).resolve().parent.parent


def found_lines(page) -> list:
    from recognition import selectors

    return list(selectors.latest_job(page).lines.order_by("order"))


def line_box(line):
    from recognition.pipeline import Box

    return Box(line.x, line.y, line.w, line.h)


def end_to_end(pages: dict, truth: dict) -> dict:
    """End-to-end costs per line kind over `pages` (name -> Page) against their ALTO."""
    from training.evaluate_pages import Costs, score_page

    totals: dict[str, Costs] = defaultdict(Costs)
    for name, page in pages.items():
        found = [(line_box(line), line.text) for line in found_lines(page)]
        for kind, costs in score_page(truth[name].lines, found).items():
            for key, value in costs.sums.items():
                totals[kind].sums[key] += value
    return {kind: costs.figures() for kind, costs in sorted(totals.items())}


def transcribe(page, true_page, user) -> dict:
    """Play the transcriber on one letter; returns what was done."""
    from recognition import selectors
    from recognition.review import services as review
    from training.metrics import matched_pairs

    lines = found_lines(page)
    pairs = matched_pairs([t.box for t in true_page.lines], [line_box(line) for line in lines])
    done = {"found": len(lines), "corrected": 0, "confirmed": 0, "deleted": 0, "added": 0}
    for i, j in pairs:
        text = " ".join(true_page.lines[i].text.split())
        done["confirmed" if text == lines[j].text else "corrected"] += 1
        review.correct_line(lines[j], text, user)
    matched_found = {j for _, j in pairs}
    for j, line in enumerate(lines):
        if j not in matched_found:
            review.delete_line(line, user)
            done["deleted"] += 1
    matched_truth = {i for i, _ in pairs}
    job = selectors.latest_job(page)
    for i, true_line in enumerate(true_page.lines):
        if i not in matched_truth and true_line.text.strip():
            b = true_line.box
            review.add_line(job, [b.x, b.y, b.w, b.h], user, text=" ".join(true_line.text.split()))
            done["added"] += 1
    return done


def main(argv=None) -> dict:
    from training.paths import DATA_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=DATA_DIR / "pages-dev")
    parser.add_argument("--corrected", type=int, default=8, help="letters (sorted by name) a transcriber corrects")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench-letters")
    parser.add_argument("--train-args", default="", help="extra arguments for manage.py train --from-feedback")
    args = parser.parse_args(argv)
    started = time.time()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    setup_django(args.out)

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recognition import services
    from recognition.models import LabeledSample
    from training.ground_truth import alto_pages

    truth = {p.image_path.stem: p for p in alto_pages(args.pages)}
    names = sorted(truth)
    corrected_names, unseen_names = names[: args.corrected], names[args.corrected :]
    user = get_user_model().objects.create_superuser("transcriber", "transcriber@example.com", "transcriber-pass")
    base = services.ensure_active_model()

    print(f"reading {len(names)} letters with {base.name} ...", flush=True)
    pages = {}
    for name in names:
        path = truth[name].image_path
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/jpeg")
        pages[name] = services.create_page(owner=user, upload=upload, layout="page")
    unseen = {n: pages[n] for n in unseen_names}
    before = end_to_end(unseen, truth)
    before_corrected = end_to_end({n: pages[n] for n in corrected_names}, truth)

    print(f"transcribing {len(corrected_names)} letters ...", flush=True)
    actions: dict[str, int] = defaultdict(int)
    for name in corrected_names:
        for key, value in transcribe(pages[name], truth[name], user).items():
            actions[key] += value
    samples = LabeledSample.objects.filter(superseded=False)
    sample_counts = {
        "line_texts": samples.filter(kind="line", source="line_edit").exclude(new_text="").count(),
        "line_texts_holdout": samples.filter(kind="line", source="line_edit", holdout=True).count(),
        "by_source": {source: samples.filter(source=source).count()
                      for source in sorted(set(samples.values_list("source", flat=True)))},
    }

    run, auto_activated, train_seconds = retrain(base, user, args.train_args)

    print(f"reading the {len(unseen)} unseen letters again with {run.name} ...", flush=True)
    for page in unseen.values():
        services.reprocess_page(page)
    after = end_to_end(unseen, truth)

    lines_metrics = run.metrics.get("line_reader") or {}
    figures = {
        "command": "python -m benchmarks.letters_loop " + " ".join(sys.argv[1:] if argv is None else argv),
        "base_model": base.name,
        "new_model": run.name,
        "corrected_letters": corrected_names,
        "unseen_letters": unseen_names,
        "transcriber_actions": dict(actions),
        "samples": sample_counts,
        "corrected_letters_before": before_corrected,
        "unseen_before": before,
        "unseen_after": after,
        "lines_val_cer_before": (lines_metrics.get("parent_lines_val_cer") or {}).get("all"),
        "lines_val_cer_after": (lines_metrics.get("lines_val_cer") or {}).get("all"),
        "lines_val_per_source_before": lines_metrics.get("parent_lines_val_cer"),
        "lines_val_per_source_after": lines_metrics.get("lines_val_cer"),
        "heldout_corrected_lines_cer_before": lines_metrics.get("parent_feedback_holdout_cer"),
        "heldout_corrected_lines_cer_after": lines_metrics.get("feedback_holdout_cer"),
        **run_figures(run, auto_activated, train_seconds, started),
    }
    (args.out / "letters.json").write_text(json.dumps(figures, indent=1))
    print_summary(figures)
    return figures


def print_summary(f: dict) -> None:
    b, a = f["unseen_before"], f["unseen_after"]
    print(f"\n{f['base_model']} -> {f['new_model']}: {len(f['corrected_letters'])} letters transcribed, "
          f"{len(f['unseen_letters'])} unseen letters measured ({', '.join(f['unseen_letters'])})")
    print(f"transcriber: {f['transcriber_actions']}")
    print(f"samples: {f['samples']}")
    print("| unseen letters, end to end | CER before | CER after | folded before | folded after | lines |")
    print("|---|---|---|---|---|---|")
    for kind in sorted(set(b) | set(a)):
        x, y = b.get(kind, {}), a.get(kind, {})
        print(f"| {kind} | {x.get('cer', 0):.1%} | {y.get('cer', 0):.1%} | {x.get('cer_folded', 0):.1%} | "
              f"{y.get('cer_folded', 0):.1%} | {x.get('lines', 0)} |")
    if f["lines_val_cer_before"] is not None:
        print(f"| lines/ val (reader alone) | {f['lines_val_cer_before']:.1%} | {f['lines_val_cer_after']:.1%} | | | |")
    print(f"activated automatically: {f['activated_automatically']} ({f['activation_note']}); "
          f"training {f['train_seconds']} s")


if __name__ == "__main__":
    main()
