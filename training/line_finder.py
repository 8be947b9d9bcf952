"""Train the line finder: a small U-Net over the page scaled to a 1024-pixel long side,
predicting each line's core (baseline to x-height) and region (polygon), on the 445
train pages of `../shared/data/pages` (8 collections) plus typewritten and printed pages
rendered here (the annotated collections hold handwriting only), with augmentation
(scale, rotation, contrast, blur, noise, paper texture, bleed-through).

    python -m training.line_finder --work var/line-finder                 # train or resume
    python -m training.line_finder --work var/line-finder --export training/models/hwr-3/line_finder

Every tenth train page of each source is held out as `tune`: the checkpoint shipped and
the vectorisation thresholds are chosen on those pages. pages/ val and pages-dev are
only measured.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from recognition.pipeline.assemble import PageMapper
from recognition.pipeline.line_finder import (
    CORE,
    INPUT_SIDE,
    REGION,
    FinderSettings,
    full_size,
    line_regions,
    page_input,
    vectorise,
)
from recognition.pipeline.preprocess import load_image, prepare_page

from .checkpoints import Checkpoints
from .evaluate_lines import line_box
from .ground_truth import TruePage, json_pages, source_of
from .metrics import matched_pairs
from .paths import DATA_DIR, REPO_ROOT

PAGES_DIR = DATA_DIR / "pages"
CROP = 512
TYPE_FONTS = [
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
]
HEAD_FONTS = [
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
]


@dataclass
class Config:
    epochs: int = 40
    batch_size: int = 4
    learning_rate: float = 1e-3
    synthetic_share: float = 0.2
    seed: int = 3
    # Only epochs after this one may be shipped (set when training went on with changed data).
    select_after: int = 0
    # Crops cut from every train page in an epoch: a crop is about a quarter of a page.
    crops_per_page: int = 1
    # An exported line finder to go on training from (its epochs count as done).
    start_from: Path | None = None


# ---------------------------------------------------------------- targets
def line_height(polygon: np.ndarray, baseline: np.ndarray) -> float:
    """Mean height of a line: its polygon's area over its baseline's length."""
    length = max(8.0, float(np.hypot(*np.diff(baseline, axis=0).T).sum())) if len(baseline) > 1 else 8.0
    return float(cv2.contourArea(polygon.astype(np.float32))) / length


def draw_targets(shape: tuple[int, int], lines: list[tuple], scale: float) -> np.ndarray:
    """(h, w, 2) uint8 maps: the core band (baseline up to about the x-height) and the
    polygon of every line, at the network's input scale. A line is (polygon, baseline)
    or (polygon, baseline, x-height) when the x-height is known (rendered lines); else
    it is taken as 0.3 of the polygon's mean height, as annotators draw handwriting."""
    maps = np.zeros((*shape, 2), np.uint8)
    region, core = maps[..., REGION].copy(), maps[..., CORE].copy()
    for polygon, baseline, *known in lines:
        poly = polygon * scale
        cv2.fillPoly(region, [np.round(poly).astype(np.int32)], 1)
        if len(baseline) < 2:
            continue
        base = baseline * scale
        x_height = known[0] * scale if known else 0.3 * line_height(poly, base)
        thickness = max(2, int(round(x_height)))
        shifted = np.round(base - [0, thickness / 2]).astype(np.int32)
        cv2.polylines(core, [shifted], False, 1, thickness=thickness)
    maps[..., REGION], maps[..., CORE] = region, core
    return maps


def page_lines(page: TruePage) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.array(t.polygon, np.float64), np.array(t.baseline, np.float64).reshape(-1, 2)) for t in page.lines]


@dataclass
class PageSample:
    x: np.ndarray  # uint8 (h, w), ink high, at the input scale
    maps: np.ndarray  # uint8 (h, w, 2)
    source: str


def load_samples(pages: list[TruePage]) -> list[PageSample]:
    out = []
    for page in pages:
        gray = cv2.imread(str(page.image_path), cv2.IMREAD_GRAYSCALE)
        x, scale = page_input(gray)
        out.append(PageSample((x * 255).astype(np.uint8), draw_targets(x.shape, page_lines(page), scale),
                              source_of(page)))
    return out


def split_tune(pages: list[TruePage]) -> tuple[list[TruePage], list[TruePage]]:
    """(train, tune): every tenth page of each source, by name, is kept for tuning."""
    by_source: dict[str, list[TruePage]] = {}
    for page in sorted(pages, key=lambda p: str(p.image_path)):
        by_source.setdefault(source_of(page), []).append(page)
    train, tune = [], []
    for group in by_source.values():
        for i, page in enumerate(group):
            (tune if i % 10 == 5 else train).append(page)
    return train, tune


# ---------------------------------------------------------------- synthetic typed pages
def typed_page(rng: np.random.Generator, texts: list[str]) -> PageSample:
    """A letter set in type: a letterhead in small bold capitals, a typed body, perhaps a
    handwritten-looking closing line, with each line's polygon and baseline known."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = int(rng.integers(700, 800)), 1024
    paper = int(rng.integers(190, 250))
    im = Image.new("L", (w, h), paper)
    draw = ImageDraw.Draw(im)
    ink = int(rng.integers(0, 90))
    lines: list[tuple] = []
    y = float(rng.integers(30, 120))

    def put(text: str, font, x: float, y_base: float) -> float:
        draw.text((x, y_base), text, fill=ink, font=font, anchor="ls")
        left, _top, right, _bottom = draw.textbbox((x, y_base), text, font=font, anchor="ls")
        # Polygons as the annotated letters draw them: from well above the capitals to
        # below the descenders, most of the way to the neighbouring lines.
        ascent = font.getmetrics()[0]
        top, bottom = y_base - 1.75 * ascent, y_base + 0.6 * ascent
        polygon = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)
        lines.append((polygon, np.array([[left, y_base], [right, y_base]], np.float64), 0.5 * font.size))
        return right - left

    heads = [f for f in HEAD_FONTS if Path(f).exists()]
    if heads and rng.random() < 0.7:
        font = ImageFont.truetype(heads[int(rng.integers(len(heads)))], int(rng.integers(10, 18)))
        for _ in range(int(rng.integers(1, 4))):
            text = texts[int(rng.integers(len(texts)))][: int(rng.integers(12, 40))].upper()
            width = draw.textlength(text, font=font)
            y += font.size * rng.uniform(1.3, 1.8)
            put(text, font, max(10.0, (w - width) / 2 + rng.normal(0, 30)), y)
        y += rng.uniform(30, 90)
    fonts = [f for f in TYPE_FONTS if Path(f).exists()]
    font = ImageFont.truetype(fonts[int(rng.integers(len(fonts)))], int(rng.integers(11, 19)))
    spacing = font.size * rng.uniform(1.5, 2.4)
    left = float(rng.integers(40, 110))
    while y < h - 80:
        y += spacing
        text = texts[int(rng.integers(len(texts)))]
        while draw.textlength(text, font=font) > w - left - 30 and len(text) > 5:
            text = text[: int(len(text) * 0.8)]
        indent = float(rng.integers(0, 60)) if rng.random() < 0.15 else 0.0
        put(text, font, left + indent, y)
        if rng.random() < 0.08:
            y += spacing * rng.uniform(0.5, 2.0)
    g = np.asarray(im, np.float32)
    g += rng.normal(0, rng.uniform(2, 10), g.shape).astype(np.float32)
    g = np.clip(g, 0, 255).astype(np.uint8)
    x, scale = page_input(g)
    return PageSample((x * 255).astype(np.uint8), draw_targets(x.shape, lines, scale), "synthetic-typed")


# ---------------------------------------------------------------- augmentation
def augment(sample: PageSample, rng: np.random.Generator, other: PageSample | None) -> tuple[np.ndarray, np.ndarray]:
    """A CROP x CROP piece of the page seen at another scale and angle, on other paper."""
    h, w = sample.x.shape
    scale = rng.uniform(0.7, 1.3)
    angle = rng.uniform(-3, 3)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[:, 2] += [CROP / 2 - cx, CROP / 2 - cy]
    x = cv2.warpAffine(sample.x, m, (CROP, CROP), flags=cv2.INTER_LINEAR, borderValue=0).astype(np.float32) / 255
    maps = cv2.warpAffine(sample.maps, m, (CROP, CROP), flags=cv2.INTER_NEAREST, borderValue=0)
    if other is not None and rng.random() < 0.25:  # bleed-through: another page, mirrored and faint
        ghost = cv2.warpAffine(other.x, m, (CROP, CROP), borderValue=0).astype(np.float32) / 255
        x = np.maximum(x, ghost[:, ::-1] * rng.uniform(0.1, 0.35))
    if rng.random() < 0.5:  # paper texture: a slowly varying tone
        small = rng.normal(0, 1, (8, 8)).astype(np.float32)
        x = x + cv2.resize(small, (CROP, CROP), interpolation=cv2.INTER_CUBIC) * rng.uniform(0.02, 0.1)
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.5))
    x = x * rng.uniform(0.5, 1.2) + rng.uniform(-0.05, 0.1)
    x = x + rng.normal(0, rng.uniform(0.0, 0.05), x.shape).astype(np.float32)
    return np.clip(x, 0, 1), maps


# ---------------------------------------------------------------- the network
def build_line_finder():
    import keras
    from keras import layers

    def conv(x, filters: int, dilation: int = 1):
        x = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    inputs = keras.Input((None, None, 1), name="page")
    # The first convolution strides: maps at half the input's resolution still put
    # three or more pixels across the core of the smallest print, at a quarter the cost.
    s2 = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inputs)
    s2 = conv(layers.ReLU()(layers.BatchNormalization(momentum=0.9)(s2)), 16)  # 1/2
    s4 = conv(conv(layers.MaxPooling2D()(s2), 32), 32)  # 1/4
    s8 = conv(conv(layers.MaxPooling2D()(s4), 48), 48)  # 1/8
    s16 = conv(layers.MaxPooling2D()(s8), 64)  # 1/16: context across several lines
    s16 = conv(s16, 64, dilation=2)
    s16 = conv(s16, 64, dilation=4)
    u = conv(layers.Concatenate()([layers.UpSampling2D()(s16), s8]), 48)
    u = conv(layers.Concatenate()([layers.UpSampling2D()(u), s4]), 32)
    u = conv(layers.Concatenate()([layers.UpSampling2D()(u), s2]), 16)
    # Maps at half resolution; the pipeline scales them up (line_finder.full_size).
    outputs = layers.Conv2D(2, 1, activation="sigmoid", name="maps")(u)
    return keras.Model(inputs, outputs, name="hwr_line_finder")


# ---------------------------------------------------------------- measuring
def box_f1(found_boxes, true_boxes) -> tuple[int, int, int]:
    return len(matched_pairs(true_boxes, found_boxes)), len(true_boxes), len(found_boxes)


@dataclass
class TunePage:
    """A tune page as the product sees it: prepared (denoised, binarised, deskewed) by
    the pipeline once, so that the settings are chosen on exactly the lines a user
    would get; `maps` are the network's on it, for the checkpoint being measured."""

    page: TruePage
    x: np.ndarray  # the network's input
    scale: float
    binary: np.ndarray
    mapper: PageMapper
    maps: np.ndarray | None = None


def prepare_tune_pages(pages: list[TruePage]) -> list[TunePage]:
    """Each tune page prepared as the pipeline prepares it, without maps yet."""
    out = []
    for page in pages:
        prepared = prepare_page(load_image(page.image_path))
        x, scale = page_input(prepared.gray)
        out.append(TunePage(page, x, scale, prepared.binary, PageMapper(prepared.to_page, prepared.original_size)))
    return out


def with_maps(predict, tune_pages: list[TunePage]) -> list[TunePage]:
    """One network pass per tune page."""
    return [replace(t, maps=full_size(np.asarray(predict(t.x[None, :, :, None]))[0], t.x.shape)) for t in tune_pages]


def tune_counts(tune_pages: list[TunePage], settings_list: list[FinderSettings]) -> np.ndarray:
    """(matched, true, found) lines over the tune pages (with maps) for each candidate
    setting, measured as `evaluate-lines` measures them (found lines kept by the
    pipeline, boxes of their polygons in page pixels)."""
    sums = np.zeros((len(settings_list), 3), np.int64)
    for tune in tune_pages:
        size = (tune.binary.shape[1], tune.binary.shape[0])
        for k, settings in enumerate(settings_list):
            found = vectorise(tune.maps, tune.scale, size, settings, page=tune.x)
            boxes = [line_box(line, tune.mapper) for line in line_regions(found, tune.binary)]
            sums[k] += box_f1(boxes, [t.box for t in tune.page.lines])
    return sums


def f1_of(counts: np.ndarray) -> list[float]:
    """Line F1 for each row of (matched, true, found)."""
    return [2 * m / max(1, t + f) for m, t, f in counts]


SETTING_GRID = [FinderSettings(core_threshold=c, min_core_area=a) for c in (0.35, 0.5, 0.65) for a in (16, 48)]
# At export, the vectorisation is tuned more finely on the best checkpoint's maps.
EXPORT_GRID = [
    FinderSettings(core_threshold=c, core_low=low, min_core_area=a, join_gap=g)
    for c in (0.5, 0.65) for low in (0.3, 0.45) for a in (48, 64) for g in (4.0, 6.0, 9.0)
]
# Then, with the best of those, how faint a line may be beside the page's others: the
# highest share that loses no true line of the tune pages. Faint lines are rare there
# (the pipeline already drops bands with no binarised ink), so F1 alone would choose by
# a line or two; losing none is the rule that keeps faint writing.
STRENGTH_GRID = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)


# ---------------------------------------------------------------- training
def fit(work: Path, config: Config, log=print) -> dict:
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("HWR_TRAIN_THREADS", "1")))
    keras.utils.set_random_seed(config.seed)
    work.mkdir(parents=True, exist_ok=True)
    train_pages, tune_pages = split_tune(json_pages(PAGES_DIR, "train"))
    samples = load_samples(train_pages)
    texts = [t.text for p in train_pages for t in p.lines if len(t.text) > 10]
    log(f"{len(samples)} train pages, {len(tune_pages)} tune pages")
    tune_pages = prepare_tune_pages(tune_pages)
    model = build_line_finder()
    optimizer = keras.optimizers.Adam(config.learning_rate)
    ckpt = Checkpoints(work, {"epoch": 0, "history": [], "best": None})
    if ckpt.restore(model, optimizer):
        log(f"resumed after epoch {ckpt.state()['epoch']}")
    elif config.start_from is not None:
        _seed_from_export(model, config.start_from, ckpt)
        log(f"starting from {config.start_from} after epoch {ckpt.state()['epoch']}")
    state = ckpt.state()
    state["crops_per_page"] = config.crops_per_page

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            p = model(x, training=True)
            bce = keras.ops.binary_crossentropy(y, p)  # per pixel and map
            # Cores are thin: their pixels weigh more, so a line is never traded for paper.
            weight = 1.0 + 4.0 * y[..., CORE : CORE + 1]
            loss = tf.reduce_mean(bce * weight)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    while state["epoch"] < config.epochs:
        epoch = state["epoch"]
        rng = np.random.default_rng([config.seed, epoch])
        lr = config.learning_rate * (0.5 ** (epoch // 10))
        optimizer.learning_rate.assign(lr)
        order = np.concatenate([rng.permutation(len(samples)) for _ in range(config.crops_per_page)])
        t0, losses = time.time(), []
        for b in range(0, len(order), config.batch_size):
            xs, ys = [], []
            for i in order[b : b + config.batch_size]:
                sample = typed_page(rng, texts) if rng.random() < config.synthetic_share else samples[i]
                x, y = augment(sample, rng, samples[int(rng.integers(len(samples)))])
                xs.append(x)
                # Targets at the maps' half resolution: a thin core keeps its share.
                ys.append(cv2.resize(y.astype(np.float32), (CROP // 2, CROP // 2), interpolation=cv2.INTER_AREA))
            loss = train_step(np.stack(xs)[..., None], np.stack(ys).astype(np.float32))
            losses.append(float(loss))
        f1s = f1_of(tune_counts(with_maps(predict, tune_pages), SETTING_GRID))
        best_k = int(np.argmax(f1s))
        entry = {"epoch": epoch + 1, "loss": round(float(np.mean(losses)), 4), "tune_f1": round(f1s[best_k], 4),
                 "settings": asdict(SETTING_GRID[best_k]), "seconds": round(time.time() - t0)}
        state["history"].append(entry)
        log(json.dumps(entry))
        eligible = epoch + 1 > config.select_after
        if eligible and (state["best"] is None or state["best"]["epoch"] <= config.select_after
                         or entry["tune_f1"] > state["best"]["tune_f1"]):
            state["best"] = entry
            model.save_weights(work / "best.weights.h5")
        state["epoch"] = epoch + 1
        ckpt.save(model, optimizer, state)
    return state


def _seed_from_export(model, model_dir: Path, ckpt: Checkpoints) -> None:
    """Start a work folder from an exported line finder: its weights as the last and the
    best checkpoint, its epochs and history as the progress so far."""
    from recognition.pipeline import bundle

    meta = bundle.read_meta(model_dir)
    model.set_weights(bundle.load_network(model_dir).get_weights())
    model.save_weights(ckpt.work / "best.weights.h5")
    history = list(meta.get("history", []))
    best = next((h for h in history if h["epoch"] == meta.get("best_epoch")), None)
    ckpt.write_state(dict(ckpt.initial, epoch=len(history), history=history, best=best,
                          started_from=str(model_dir), commands=meta.get("command", "")))


def export(work: Path, out: Path, version: str) -> None:
    from recognition.pipeline import bundle

    state = json.loads((work / "state.json").read_text())
    model = build_line_finder()
    model.load_weights(work / "best.weights.h5")
    _, tune_pages = split_tune(json_pages(PAGES_DIR, "train"))
    maps = with_maps(lambda x: model(x, training=False), prepare_tune_pages(tune_pages))
    f1s = f1_of(tune_counts(maps, EXPORT_GRID))
    base = EXPORT_GRID[int(np.argmax(f1s))]
    candidates = [replace(base, min_strength=m) for m in STRENGTH_GRID]
    counts = tune_counts(maps, candidates)
    best = max(k for k in range(len(candidates)) if counts[k, 0] >= counts[0, 0])
    f1s = f1_of(counts)
    print(f"matched / true / found by min_strength: {dict(zip(STRENGTH_GRID, counts.tolist()))}")
    print(f"vectorisation tuned on {len(tune_pages)} tune pages: F1 {f1s[best]:.3f} with {candidates[best]}")
    bundle.save_network(out, model, {
        "version": version, "kind": bundle.LINE_FINDER, "input_side": INPUT_SIDE,
        "settings": asdict(candidates[best]), "best_epoch": state["best"]["epoch"],
        "tune_f1": round(f1s[best], 4), "history": state["history"], "parameters": int(model.count_params()),
        "command": _commands(state, out, version),
    })


def _commands(state: dict, out: Path, version: str) -> str:
    """How to make this export again: the parent's training commands (when this run
    started from an export), this run's, the export."""
    parent = [line for line in state.get("commands", "").splitlines() if "--export" not in line]
    run = f"python -m training.line_finder --epochs {len(state['history'])}"
    if state.get("started_from"):
        run += f" --start-from {state['started_from']}"
        if state.get("crops_per_page", 1) != 1:
            run += f" --crops-per-page {state['crops_per_page']}"
    return "\n".join([*parent, run, f"python -m training.line_finder --export {out} --version {version}"])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=REPO_ROOT / "var" / "line-finder")
    p.add_argument("--epochs", type=int, default=Config.epochs)
    p.add_argument("--select-after", type=int, default=0, help="only epochs after this one are kept as best")
    p.add_argument("--crops-per-page", type=int, default=Config.crops_per_page)
    p.add_argument("--start-from", type=Path, default=None, help="an exported line finder to go on training")
    p.add_argument("--export", type=Path, default=None)
    p.add_argument("--version", default="hwr-3-line-finder")
    args = p.parse_args(argv)
    if args.export:
        export(args.work, args.export, args.version)
        return
    fit(args.work, Config(epochs=args.epochs, select_after=args.select_after, crops_per_page=args.crops_per_page,
                          start_from=args.start_from), log=lambda m: print(m, flush=True))


if __name__ == "__main__":
    main()
