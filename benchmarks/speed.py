"""Speed: seconds per page for a full-size scan on one core, in-process.

    python -m benchmarks.speed                       # pages-dev letters (about 2500 x 3000)
    python -m benchmarks.speed --images my/scans/*.jpg

One core: the process is pinned to CPU 0, and TensorFlow and OpenCV use one thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HWR_TF_THREADS", "1")


def main(argv=None) -> dict:
    from training.paths import DEFAULT_MODEL_DIR, PAGES_DEV_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", nargs="*", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import cv2

    cv2.setNumThreads(1)
    from recognition.pipeline import RecognitionOptions, get_classifier, load_image, recognize_image

    images = args.images or sorted(PAGES_DEV_DIR.glob("*.jpg"))[: args.limit]
    classifier = get_classifier(args.model)
    # Load both networks and build the reader's graph outside the timing.
    recognize_image(load_image(images[0]), classifier, RecognitionOptions(layout="page"))
    seconds, stages = [], {}
    for path in images:
        gray = load_image(path)
        started = time.perf_counter()
        result = recognize_image(gray, classifier, RecognitionOptions(layout="page"))
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        for stage, value in result.timings.items():
            stages.setdefault(stage, []).append(value)
        words = sum(len(line.words) for line in result.lines)
        print(f"{path.name}: {gray.shape[1]}x{gray.shape[0]}  {elapsed:.2f} s  "
              f"{len(result.lines)} lines, {words} words")
    figures = {
        "pages": len(seconds),
        "seconds_per_page_median": round(statistics.median(seconds), 2),
        "seconds_per_page_max": round(max(seconds), 2),
        "stage_seconds_median": {k: round(statistics.median(v), 3) for k, v in stages.items()},
    }
    print(figures)
    return figures


if __name__ == "__main__":
    main()
