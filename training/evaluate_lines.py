"""Line segmentation against ground truth (ALTO, such as pages-dev, or the `pages/`
collection's JSON): precision, recall and F1 per page, per source and overall, for all
lines and for handwritten lines, a baseline measure, and seconds per page.

    python -m training.evaluate_lines --pages ../shared/data/pages-dev
    python -m training.evaluate_lines --pages ../shared/data/pages --split val

A found line matches a true line when their boxes, both in original page pixels, overlap
with IoU >= 0.5; matching is one-to-one and optimal (training.metrics.matched_pairs).

Handwritten lines are `DefaultLine:Handwritten`, `InterlinearLine:Handwritten` and
`DefaultLine:Signature` (a signature is handwriting the page reader has to find too);
`handwritten_strict` leaves signatures out. For a subset, a found line counts as a false
positive only when it matches no true line and the true line it overlaps most is in the
subset, or it overlaps none (noise counts against every subset); a found line that
matches or mostly covers a printed line is neither right nor wrong for handwriting.

The baseline measure follows the idea of cBAD (Diem et al., ICDAR 2017), simplified:
points are sampled every few pixels along each true and each found baseline; baseline
recall is the share of true points within a tolerance of some found baseline, baseline
precision the share of found points within it of some true baseline. The tolerance is a
fifth of the page's median true line height (at least 4 px), so it scales with the
writing. Lines without a baseline in the ground truth are left out of the measure.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from recognition.pipeline.assemble import PageMapper
from recognition.pipeline.bundle import LineFinder, line_finder_of
from recognition.pipeline.preprocess import load_image, prepare_page
from recognition.pipeline.recognize import find_page_lines
from recognition.pipeline.types import Box, LineRegion

from .ground_truth import HANDWRITTEN_TYPES, TrueLine, TruePage, load_true_pages, source_of
from .metrics import matched_pairs
from .paths import DEFAULT_MODEL_DIR, PAGES_DEV_DIR

SUBSETS: dict[str, Callable[[TrueLine], bool]] = {
    "all": lambda line: True,
    "handwritten": lambda line: line.handwritten,
    "handwritten_strict": lambda line: line.kind in HANDWRITTEN_TYPES,
}


@dataclass
class Counts:
    """Matches, true lines and found lines of one subset on one or more pages."""

    matched: int = 0
    truth: int = 0
    found: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.matched += other.matched
        self.truth += other.truth
        self.found += other.found
        return self

    def figures(self) -> dict:
        precision = self.matched / self.found if self.found else (1.0 if not self.truth else 0.0)
        recall = self.matched / self.truth if self.truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "matched": self.matched,
            "true_lines": self.truth,
            "found_lines": self.found,
        }


def score_page(truth: list[TrueLine], found: list[Box], threshold: float = 0.5) -> dict[str, Counts]:
    """Counts for every subset, from one optimal matching over all lines of the page."""
    pairs = matched_pairs([t.box for t in truth], found, threshold)
    match_of_found = {j: i for i, j in pairs}
    inter = _intersections([t.box for t in truth], found)
    counts = {}
    for name, member in SUBSETS.items():
        inside = [member(t) for t in truth]
        c = Counts(truth=sum(inside))
        for j in range(len(found)):
            if j in match_of_found:
                i = match_of_found[j]
                c.matched += inside[i]
                c.found += inside[i]
            elif inter.shape[0] == 0 or inter[:, j].max() <= 0 or inside[int(inter[:, j].argmax())]:
                c.found += 1
        counts[name] = c
    return counts


def _intersections(truth: list[Box], found: list[Box]) -> np.ndarray:
    return np.array([[t.intersection_area(f) for f in found] for t in truth], np.float64).reshape(
        len(truth), len(found)
    )


def line_box(line: LineRegion, mapper: PageMapper, box: str = "polygon") -> Box:
    """The line's box in original page pixels: the bounding box of its polygon (what an
    ALTO TextLine's HPOS/VPOS/WIDTH/HEIGHT are), or of its ink with `box="ink"`."""
    if box == "ink" or not line.polygon:
        return mapper.box(line.box)
    points = np.asarray(mapper.points(line.polygon))
    x0, y0 = np.maximum(points.min(axis=0), 0)
    x1 = min(int(points[:, 0].max()), mapper.width)
    y1 = min(int(points[:, 1].max()), mapper.height)
    return Box(int(x0), int(y0), max(1, x1 - int(x0)), max(1, y1 - int(y0)))


def segment_page(page: TruePage, box: str = "polygon", finder: LineFinder | None = None,
                 ) -> tuple[list[Box], list, dict[str, float], np.ndarray]:
    """Found line boxes and baselines in original page pixels, the seconds it took (wall
    clock and CPU, for preprocessing and for line finding), and the gray image."""
    gray = load_image(page.image_path)
    wall, cpu = time.perf_counter(), time.process_time()
    prepared = prepare_page(gray)
    wall_prep, cpu_prep = time.perf_counter(), time.process_time()
    lines = find_page_lines(prepared.binary, prepared.gray, finder)
    seconds = {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "cpu_preprocess": cpu_prep - cpu,
        "cpu_lines": time.process_time() - cpu_prep,
        "wall_lines": time.perf_counter() - wall_prep,
    }
    mapper = PageMapper(prepared.to_page, prepared.original_size)
    baselines = [mapper.points(line.baseline) for line in lines if line.baseline]
    return [line_box(line, mapper, box) for line in lines], baselines, seconds, gray


BASELINE_STEP = 5  # px between sampled baseline points


def sample_polyline(points) -> np.ndarray:
    """Points every BASELINE_STEP px along a polyline."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) == 1:
        return pts
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(1, int(np.hypot(*(b - a)) // BASELINE_STEP))
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.array(out)


def _near_share(points: np.ndarray, polylines: list[np.ndarray], tolerance: float) -> tuple[int, int]:
    """How many of `points` lie within `tolerance` of a point sampled on any polyline."""
    if len(points) == 0:
        return 0, 0
    if not polylines:
        return 0, len(points)
    other = np.concatenate(polylines)
    near = 0
    for chunk in np.array_split(points, max(1, len(points) // 512)):
        d = np.sqrt(((chunk[:, None, :] - other[None, :, :]) ** 2).sum(-1)).min(axis=1)
        near += int((d <= tolerance).sum())
    return near, len(points)


def score_baselines(truth: list[TrueLine], found: list) -> dict[str, int]:
    """Near and total sampled points of true and found baselines (see the module doc)."""
    true_lines = [sample_polyline(t.baseline) for t in truth if len(t.baseline) >= 2]
    found_lines = [sample_polyline(b) for b in found if b and len(b) >= 2]
    heights = [t.box.h for t in truth if len(t.baseline) >= 2]
    if not true_lines:
        return {"true_near": 0, "true_points": 0, "found_near": 0, "found_points": 0}
    tolerance = max(4.0, 0.2 * float(np.median(heights)))
    true_near, true_points = _near_share(np.concatenate(true_lines), found_lines, tolerance)
    found_near, found_points = _near_share(np.concatenate(found_lines), true_lines, tolerance) if found_lines \
        else (0, 0)
    return {"true_near": true_near, "true_points": true_points, "found_near": found_near, "found_points": found_points}


def baseline_figures(sums: dict[str, int]) -> dict[str, float]:
    recall = sums["true_near"] / sums["true_points"] if sums["true_points"] else 0.0
    precision = sums["found_near"] / sums["found_points"] if sums["found_points"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def draw(gray: np.ndarray, truth: list[TrueLine], found: list[Box], path: Path, threshold: float = 0.5) -> None:
    """Truth in blue (handwritten) or cyan (other), matched finds in green, unmatched in red."""
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    matched = {j for _, j in matched_pairs([t.box for t in truth], found, threshold)}
    for t in truth:
        b = t.box
        cv2.rectangle(image, (b.x, b.y), (b.right, b.bottom), (255, 0, 0) if t.handwritten else (255, 200, 0), 3)
    for j, b in enumerate(found):
        colour = (0, 170, 0) if j in matched else (0, 0, 255)
        cv2.rectangle(image, (b.x + 4, b.y + 4), (b.right - 4, b.bottom - 4), colour, 3)
    scale = min(1.0, 1600.0 / image.shape[0])
    cv2.imwrite(str(path), cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))


def evaluate(pages_dir: Path, threshold: float = 0.5, draw_dir: Path | None = None, box: str = "polygon",
             split: str | None = None, model_dir: Path | None = None) -> dict:
    """Figures of the line finder of `model_dir` (the rule-based finder when it is None
    or has no learned one) on the pages with ground truth in `pages_dir`."""
    finder = line_finder_of(model_dir) if model_dir is not None else None
    pages = load_true_pages(pages_dir, split)
    if not pages:
        raise SystemExit(f"no ALTO files (or pages/ JSON) with images in {pages_dir}")
    totals = {name: Counts() for name in SUBSETS}
    per_source: dict[str, dict[str, Counts]] = {}
    baseline_sums: dict[str, dict[str, int]] = {}
    per_page = []
    timings: list[dict[str, float]] = []
    for page in pages:
        found, baselines, seconds, gray = segment_page(page, box, finder)
        counts = score_page(page.lines, found, threshold)
        source = source_of(page)
        by_source = per_source.setdefault(source, {name: Counts() for name in SUBSETS})
        for name, c in counts.items():
            totals[name] += c
            by_source[name] += c
        for target in (baseline_sums.setdefault(source, {}), baseline_sums.setdefault("overall", {})):
            for k, v in score_baselines(page.lines, baselines).items():
                target[k] = target.get(k, 0) + v
        timings.append(seconds)
        per_page.append(
            {"page": page.image_path.name, "source": source} | {k: round(v, 2) for k, v in seconds.items()}
            | {name: c.figures() for name, c in counts.items()}
        )
        if draw_dir is not None:
            draw_dir.mkdir(parents=True, exist_ok=True)
            draw(gray, page.lines, found, draw_dir / f"{page.image_path.stem}.png", threshold)
    return {
        "pages": per_page,
        "overall": {name: c.figures() for name, c in totals.items()},
        "per_source": {
            src: {name: c.figures() for name, c in counts.items()} for src, counts in sorted(per_source.items())
        },
        "baselines": {key: baseline_figures(sums) for key, sums in sorted(baseline_sums.items())},
        "seconds_per_page": round(float(np.mean([t["seconds"] for t in timings])), 2),
        "cpu_seconds_per_page": round(float(np.mean([t["cpu_seconds"] for t in timings])), 2),
        "cpu_seconds_per_page_preprocess": round(float(np.mean([t["cpu_preprocess"] for t in timings])), 2),
        "cpu_seconds_per_page_lines": round(float(np.mean([t["cpu_lines"] for t in timings])), 2),
        "opencv_threads": cv2.getNumThreads(),
        "iou_threshold": threshold,
        "finder": finder.version if finder else "rules (lines.py)",
        "box": box,
    }


def print_report(result: dict) -> None:
    header = f"{'page':<16}{'s':>6}{'cpu s':>7}  " + "  ".join(f"{n + ' P/R/F1':<28}" for n in ("all", "handwritten"))
    print(f"line finder: {result['finder']}")
    print(header)

    def cell(f: dict) -> str:
        return f"{f['precision']:.3f}/{f['recall']:.3f}/{f['f1']:.3f} ({f['matched']}/{f['true_lines']})".ljust(28)

    for row in result["pages"]:
        times = f"{row['seconds']:>6.2f}{row['cpu_seconds']:>7.2f}"
        print(f"{row['page']:<16}{times}  {cell(row['all'])}  {cell(row['handwritten'])}")
    overall = result["overall"]
    times = f"{result['seconds_per_page']:>6.2f}{result['cpu_seconds_per_page']:>7.2f}"
    print(f"{'overall':<16}{times}  {cell(overall['all'])}  {cell(overall['handwritten'])}")
    if len(result["per_source"]) > 1:
        for source, figures in result["per_source"].items():
            print(f"{source:<29}  {cell(figures['all'])}  {cell(figures['handwritten'])}")
    for key, f in result["baselines"].items():
        print(f"baselines {key:<20} P/R/F1 {f['precision']:.3f}/{f['recall']:.3f}/{f['f1']:.3f}")
    strict = overall["handwritten_strict"]
    print(f"handwritten without signatures: {cell(strict).strip()}")
    print(
        f"CPU seconds per page: {result['cpu_seconds_per_page_preprocess']:.2f} preprocessing (prepare_page)"
        f" + {result['cpu_seconds_per_page_lines']:.2f} line finding; OpenCV threads: {result['opencv_threads']}"
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=PAGES_DEV_DIR,
                        help="folder of images with ALTO .xml beside, or the pages/ collection")
    parser.add_argument("--split", default=None, help="with pages/: train or val")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR,
                        help="model version whose line finder to measure (default: the shipped one)")
    parser.add_argument("--rules", action="store_true", help="measure the rule-based finder of lines.py instead")
    parser.add_argument("--iou", type=float, default=0.5, help="IoU at which a found line matches a true line")
    parser.add_argument(
        "--box", choices=("polygon", "ink"), default="polygon",
        help="compare the bounding box of each found line's polygon (like ALTO's) or of its ink",
    )
    parser.add_argument("--draw", type=Path, default=None, help="folder for overlays of truth and found lines")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--threads", type=int, default=None, help="OpenCV threads (1: time it on one core)")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the evaluation from command-line arguments; returns the figures as a dict."""
    args = parse_args(argv)
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    result = evaluate(args.pages, args.iou, args.draw, args.box, args.split, None if args.rules else args.model)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
