"""Review -> relabel -> retrain on real handwriting, with the service playing itself and
this script playing the reviewer.

    python -m benchmarks.relabel_loop --out var/bench-relabel

1. Every labelled image of names-dev is uploaded through the service (`create_page`,
   layout word, charset upper) and read by the recognition task (Celery eager mode).
2. The reviewer corrects the pages of the first 200 images (sorted by file name) with
   the functions the review page calls: each word gets its true text from labels.csv
   (`correct_word`; a word read right is confirmed), words that are no part of the
   field are marked not text (`set_not_text`).
3. A retraining run fine-tunes the active model on the base data plus every labelled
   sample (`manage.py train --from-feedback --here`: the training task's own code, in a
   separate process like a training worker).
4. The other images are read again (`reprocess_page`) with the new version; word
   accuracy and CER on them before and after, EMNIST held-out accuracy from the run.

Uses a database, media and model folder of its own under --out (SQLite), never the
development database, and no broker.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parent.parent


def align(words: list[str], tokens: list[str]) -> list[str | None]:
    """What a reviewer types into each word box: the true tokens in order, each word
    taking a run of one or more of them (joined by spaces) or nothing (not text), so
    that the reading and the truth agree as closely as possible."""
    n, m = len(words), len(tokens)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if cost[i][j] == inf:
                continue
            if i < n and cost[i][j] + 1.0 < cost[i + 1][j]:  # word i is not text
                cost[i + 1][j], back[(i + 1, j)] = cost[i][j] + 1.0, (i, j)
            for k in range(j + 1, m + 1) if i < n else ():
                text = " ".join(tokens[j:k])
                c = cost[i][j] + Levenshtein.normalized_distance(words[i], text.replace(" ", ""))
                if c < cost[i + 1][k]:
                    cost[i + 1][k], back[(i + 1, k)] = c, (i, j)
    if cost[n][m] == inf:
        return [None] * n
    out: list[str | None] = [None] * n
    i, j = n, m
    while i > 0:
        pi, pj = back[(i, j)]
        out[pi] = " ".join(tokens[pj:j]) if j > pj else None
        i, j = pi, pj
    return out


def setup_django(out: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{out / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(out / "media")
    os.environ["HWR_MODELS_DIR"] = str(out / "models")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # the recognition task runs inside create_page
    os.environ.setdefault("HWR_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def page_text(page) -> str:
    from recognition import selectors

    return " ".join(selectors.latest_job(page).text.split())


def scores(pairs: list[tuple[str, str, str]]) -> dict:
    from training.evaluate_words import Sample, score

    figures = score([Sample(name, truth, read, 0.0) for name, truth, read in pairs])
    # Pages are compared by their text only: no confidences here, so no confidence figure.
    figures.pop("wrong_in_lowest_30pct_confidence", None)
    return figures


def review(page, truth: str, user) -> dict:
    """Play the reviewer on one page; returns what was done."""
    from recognition.models import Word
    from recognition.review import services as review

    job = page.jobs.order_by("-created", "-id").first()
    words = list(Word.objects.filter(line__job=job, not_text=False).order_by("line__order", "order"))
    done = {"words": len(words), "corrected": 0, "confirmed": 0, "not_text": 0, "split": 0, "left_unsplit": 0}
    for word, text in zip(words, align([w.text for w in words], truth.split())):
        if text is None:
            review.set_not_text(word, user)
            done["not_text"] += 1
        elif " " in text:
            # One box holding two names: split it, as the review page offers, then
            # confirm each part (a box's text never holds a space).
            try:
                parts = split_into_words(word, text.split(), user)
            except review.CorrectionError:
                done["left_unsplit"] += 1
                continue
            done["split"] += 1
            for part, token in zip(parts, text.split(), strict=True):
                review.correct_word(part, token, user)
        else:
            done["corrected" if text != word.text else "confirmed"] += 1
            review.correct_word(word, text, user)
    return done


def split_into_words(word, tokens: list[str], user) -> list:
    """Cut a word box into one box per token, left to right (review.split_word)."""
    from recognition.review import services as review

    parts, rest = [], word
    for k in range(len(tokens) - 1):
        left, rest = review.split_word(rest, [tokens[k], "".join(tokens[k + 1 :])], user)
        parts.append(left)
    return [*parts, rest]


def retrain(base, user, train_args: str) -> tuple:
    """One retraining run from the stored corrections, as a training worker runs it
    (`manage.py train --from-feedback --here` in its own process); the new version is
    activated by hand when the rule did not activate it, to measure it anyway. Returns
    (version, activated automatically, seconds)."""
    from recognition.models import ModelVersion
    from recognition.retraining import services as retraining

    print("retraining from the corrections ...", flush=True)
    command = [sys.executable, "manage.py", "train", "--from-feedback", "--here", *train_args.split()]
    started = time.time()
    subprocess.run(command, cwd=REPO, env=os.environ.copy(), check=True)
    seconds = time.time() - started
    run = ModelVersion.objects.exclude(pk=base.pk).get()
    if run.status != ModelVersion.Status.READY:
        raise SystemExit(f"the training run failed: {run.error}")
    auto_activated = run.is_active
    if not run.is_active:
        retraining.activate_by_hand(run, user)
    return run, auto_activated, seconds


def run_figures(run, auto_activated: bool, train_seconds: float, started: float) -> dict:
    """What a loop's report says about its retraining run."""
    return {"training_data": run.data, "training_options": run.options, "activated_automatically": auto_activated,
            "activation_note": run.activation_note, "train_seconds": round(train_seconds),
            "total_seconds": round(time.time() - started)}


def main(argv=None) -> dict:
    from training.paths import NAMES_DEV_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, default=NAMES_DEV_DIR / "images")
    parser.add_argument("--labels", type=Path, default=NAMES_DEV_DIR / "labels.csv")
    parser.add_argument("--corrected", type=int, default=200, help="images (sorted by name) a reviewer corrects")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench-relabel")
    parser.add_argument("--train-args", default="", help="extra arguments for manage.py train --from-feedback")
    parser.add_argument("--limit", type=int, default=0, help="use this many images only (smoke runs)")
    args = parser.parse_args(argv)
    started = time.time()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    setup_django(args.out)

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recognition import services
    from recognition.models import LabeledSample
    from training.evaluate_words import read_labels

    truth = read_labels(args.labels)
    files = sorted(p.name for p in args.images.iterdir())[: args.limit or None]
    reviewed_files, unseen_files = files[: args.corrected], files[args.corrected :]
    user = get_user_model().objects.create_superuser("reviewer", "reviewer@example.com", "reviewer-pass")
    base = services.ensure_active_model()

    print(f"reading {len(files)} images with {base.name} ...", flush=True)
    pages = {}
    for name in files:
        if name not in truth:
            continue  # UNREADABLE / EMPTY: not scored, not reviewed
        upload = SimpleUploadedFile(name, (args.images / name).read_bytes(), content_type="image/jpeg")
        pages[name] = services.create_page(owner=user, upload=upload, layout="word", charset="upper")
    reviewed = [n for n in reviewed_files if n in pages]
    unseen = [n for n in unseen_files if n in pages]
    before = scores([(n, truth[n], page_text(pages[n])) for n in unseen])
    before_reviewed = scores([(n, truth[n], page_text(pages[n])) for n in reviewed])

    print(f"reviewing {len(reviewed)} pages ...", flush=True)
    actions = {"words": 0, "corrected": 0, "confirmed": 0, "not_text": 0, "split": 0, "left_unsplit": 0,
               "pages_without_words": 0}
    for name in reviewed:
        done = review(pages[name], truth[name], user)
        actions["pages_without_words"] += done["words"] == 0
        for key in ("words", "corrected", "confirmed", "not_text", "split", "left_unsplit"):
            actions[key] += done[key]
    after_review = scores([(n, truth[n], page_text(pages[n])) for n in reviewed])
    samples = LabeledSample.objects.filter(superseded=False)
    sample_counts = {
        "char": samples.filter(kind="char").count(),
        "char_changed": sum(s.old_text != s.new_text for s in samples.filter(kind="char")),
        "word": samples.filter(kind="word").exclude(new_text="").count(),
        "word_kept_at_word_level": samples.filter(kind="word", derived__isnull=True).exclude(new_text="").count(),
        "not_text": samples.filter(new_text="").count(),
        "holdout_chars": samples.filter(kind="char", holdout=True).count(),
    }

    run, auto_activated, train_seconds = retrain(base, user, args.train_args)

    print(f"reading the {len(unseen)} unseen images again with {run.name} ...", flush=True)
    for name in unseen:
        services.reprocess_page(pages[name])
    after = scores([(n, truth[n], page_text(pages[n])) for n in unseen])

    metrics = run.metrics
    figures = {
        "command": "python -m benchmarks.relabel_loop " + " ".join(sys.argv[1:] if argv is None else argv),
        "base_model": base.name,
        "corrected_images": args.corrected,
        "new_model": run.name,
        "reviewed_pages": len(reviewed),
        "unseen_pages": len(unseen),
        "review_actions": actions,
        "samples": sample_counts,
        "reviewed_before": before_reviewed,
        "reviewed_after_review": after_review,
        "unseen_before": before,
        "unseen_after": after,
        "word_accuracy_gain_points": round(100 * (after["word_accuracy"] - before["word_accuracy"]), 1),
        "emnist_heldout_62_before": metrics["parent_emnist"]["test_accuracy_62"],
        "emnist_heldout_62_after": metrics["emnist"]["test_accuracy_62"],
        "emnist_heldout_36_before": metrics["parent_emnist"]["test_accuracy_36_folded"],
        "emnist_heldout_36_after": metrics["emnist"]["test_accuracy_36_folded"],
        "feedback_holdout_before": metrics["parent_feedback_holdout"],
        "feedback_holdout_after": metrics["feedback_holdout"],
        **run_figures(run, auto_activated, train_seconds, started),
    }
    (args.out / "relabel.json").write_text(json.dumps(figures, indent=1))
    print_summary(figures)
    return figures


def print_summary(f: dict) -> None:
    b, a = f["unseen_before"], f["unseen_after"]
    print(f"\n{f['base_model']} -> {f['new_model']}: {f['reviewed_pages']} pages reviewed, "
          f"{f['unseen_pages']} unseen pages measured")
    print(f"review: {f['review_actions']}")
    print(f"samples: {f['samples']}")
    print("| measure | before | after |\n|---|---|---|")
    print(f"| word accuracy, unseen | {b['word_accuracy']:.1%} | {a['word_accuracy']:.1%} |")
    print(f"| CER, unseen | {b['cer']:.1%} | {a['cer']:.1%} |")
    print(f"| EMNIST held-out, 62 classes | {f['emnist_heldout_62_before']:.2%} | {f['emnist_heldout_62_after']:.2%} |")
    print(f"| EMNIST held-out, 36 folded | {f['emnist_heldout_36_before']:.2%} | {f['emnist_heldout_36_after']:.2%} |")
    hb, ha = f["feedback_holdout_before"], f["feedback_holdout_after"]
    if hb["samples"]:
        print(f"| held-out corrected characters ({hb['samples']}), read right | {hb['accuracy']:.1%} | "
              f"{ha['accuracy']:.1%} |")
    print(f"gain: {f['word_accuracy_gain_points']:+.1f} points; activated automatically: "
          f"{f['activated_automatically']} ({f['activation_note']}); training {f['train_seconds']} s")


if __name__ == "__main__":
    main()
