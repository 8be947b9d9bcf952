"""The model bundle on disk: one folder per model version, one sub-folder per network,
each a `model.keras` with a `meta.json` that says what the network is and how to feed it.

    <version>/                 glyph classifier (model.keras, meta.json: classes)
    <version>/reader/          field reader, CTC over word strips (optional)
    <version>/line_reader/     line reader, CTC over whole line strips (optional),
                               with its character language model (optional)
    <version>/line_finder/     line finder, core and region maps of a page (optional)

This module owns that layout, the metadata, TensorFlow's thread set-up and the
per-process cache of loaded networks, and `ModelBundle`, one model version as the
pipeline uses it (`load_bundle`). TensorFlow is imported only when a network is first
called, so importing the pipeline (in the web process, or in a Celery parent before it
forks) never starts it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import language_model
from .charsets import Charset
from .classify import CharClassifier, ModelInfo
from .line_finder import FinderSettings, FoundLine, full_size, page_input, vectorise
from .read import (
    STRIP_HEIGHT,
    BeamSettings,
    LineReading,
    beam_search,
    best_path,
    pad_batch,
    restrict_to_charset,
    softmax,
)
from .sequence import LINE_HEIGHT, ReaderInfo, SequenceReader

GLYPH_CLASSIFIER = "glyph-classifier"
FIELD_READER = "sequence-reader"
LINE_READER = "line-reader"
LINE_FINDER = "line-finder"
FIELD_READER_DIR = "reader"
LINE_READER_DIR = "line_reader"
LINE_FINDER_DIR = "line_finder"
META = "meta.json"
WEIGHTS = "model.keras"
LANGUAGE_MODEL = "language_model.json.gz"  # in the line reader's folder


def read_meta(folder: str | Path) -> dict:
    return json.loads((Path(folder) / META).read_text())


def write_meta(folder: str | Path, meta: dict) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def has_network(folder: str | Path) -> bool:
    return (Path(folder) / META).exists()


def has_language_model(folder: str | Path) -> bool:
    return (Path(folder) / LANGUAGE_MODEL).exists()


def save_network(folder: str | Path, model, meta: dict) -> None:
    """A trained network and its metadata -> `folder`, ready for inference (no
    optimizer state; the file loads without the training code)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Keras 3 ignores include_optimizer for .keras files: save a bare copy instead.
    inference_copy(model).save(folder / WEIGHTS)
    write_meta(folder, meta)


def carry_network(parent: str | Path, child: str | Path, network_dir: str) -> dict | None:
    """A network that a new version does not retrain, copied from its parent unchanged;
    its metadata, or None when the parent has no such network."""
    import shutil

    source = Path(parent) / network_dir
    if not has_network(source):
        return None
    shutil.copytree(source, Path(child) / network_dir, dirs_exist_ok=True)
    return read_meta(source)


def carry_language_model(source: str | Path, target: str | Path) -> None:
    """A retrained line reader keeps its parent's language model and beam settings:
    the text it models has not changed, only the reader of the ink."""
    import shutil

    source, target = Path(source), Path(target)
    if not has_language_model(source):
        return
    shutil.copy2(source / LANGUAGE_MODEL, target / LANGUAGE_MODEL)
    parent, meta = read_meta(source), read_meta(target)
    for key in ("beam_search", "language_model"):
        if key in parent:
            meta[key] = parent[key]
    write_meta(target, meta)


def configure_tensorflow_threads() -> None:
    """Honour HWR_TF_THREADS so one worker process uses the cores it is given."""
    threads = int(os.environ.get("HWR_TF_THREADS", "0") or 0)
    if threads <= 0:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process: keep what it has


def traced_network(folder: Path, height: int | None = None):
    """A saved network as one traced inference function for every batch shape (of
    images `height` rows high, or any size): eager recurrent layers would step through
    Python once per frame."""
    configure_tensorflow_threads()
    import keras
    import tensorflow as tf

    model = keras.models.load_model(folder / WEIGHTS, compile=False)
    return tf.function(lambda x: model(x, training=False),
                       input_signature=[tf.TensorSpec([None, height, None, 1], tf.float32)])


@dataclass(frozen=True)
class LineReaderInfo:
    version: str
    alphabet: str
    strip_height: int


class LineReader:
    """A line reader folder, loaded lazily once per process and called on whole batches."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        meta = read_meta(self.folder)
        if meta.get("kind") != LINE_READER:
            raise ValueError(f"{self.folder} holds a {meta.get('kind')!r}, not a line reader")
        self.info = LineReaderInfo(meta["version"], "".join(meta["alphabet"]), int(meta["strip_height"]))
        if self.info.strip_height != STRIP_HEIGHT:
            raise ValueError(f"{self.folder}: strips of {self.info.strip_height} px, the pipeline cuts {STRIP_HEIGHT}")
        beam = meta.get("beam_search")
        self.beam_settings = BeamSettings(**beam) if beam and has_language_model(self.folder) else None
        self._model = None
        self._language_model: language_model.CharLanguageModel | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.info.version

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = traced_network(self.folder, height=STRIP_HEIGHT)
        return self._model

    def frame_probs(self, strips: list[np.ndarray], batch_pixels: int = 16 * 1024 * 48) -> list[np.ndarray]:
        """Normalised strips -> per strip (frames, 1 + len(alphabet)) posteriors. Strips
        of similar width are read together, up to `batch_pixels` of padded input."""
        if not strips:
            return []
        model = self._load()
        order = sorted(range(len(strips)), key=lambda i: strips[i].shape[1])
        out: list[np.ndarray | None] = [None] * len(strips)
        group: list[int] = []

        def run(indices: list[int]) -> None:
            batch, frames = pad_batch([strips[i] for i in indices])
            probs = softmax(np.asarray(model(batch), np.float64))
            for row, i in enumerate(indices):
                out[i] = probs[row, : frames[row]].astype(np.float32)

        for i in order:
            if group and strips[i].shape[1] * STRIP_HEIGHT * (len(group) + 1) > batch_pixels:
                run(group)
                group = []
            group.append(i)
        if group:
            run(group)
        return out  # type: ignore[return-value]

    def loaded_language_model(self) -> language_model.CharLanguageModel | None:
        if self.beam_settings is None:
            return None
        with self._lock:
            if self._language_model is None:
                self._language_model = language_model.load(self.folder / LANGUAGE_MODEL)
        return self._language_model

    def read(self, strips: list[np.ndarray], charset: Charset | None = None, greedy: bool = False) -> list[LineReading]:
        """Readings of normalised strips. Free text goes through the beam search with
        the language model when the folder has one (and `greedy` is not asked for);
        a field's charset is read best-path within the charset (the language model
        knows running text, not names or codes)."""
        restricted = charset is not None and charset.spec != "any"
        lm = None if greedy or restricted else self.loaded_language_model()
        readings = []
        for probs in self.frame_probs(strips):
            alphabet = self.info.alphabet
            if restricted:
                probs, alphabet = restrict_to_charset(probs, alphabet, charset)
            if lm is not None:
                readings.append(beam_search(probs, alphabet, lm, self.beam_settings))
            else:
                readings.append(best_path(probs, alphabet))
        return readings


class LineFinder:
    """A line finder folder, loaded lazily once per process."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        meta = read_meta(self.folder)
        if meta.get("kind") != LINE_FINDER:
            raise ValueError(f"{self.folder} holds a {meta.get('kind')!r}, not a line finder")
        self.version = meta["version"]
        self.input_side = int(meta["input_side"])
        self.settings = FinderSettings(**meta.get("settings", {}))
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = traced_network(self.folder)
        return self._model

    def maps(self, x: np.ndarray) -> np.ndarray:
        """(h, w) network input -> (h, w, 2) core and region probabilities."""
        return full_size(np.asarray(self._load()(x[None, :, :, None]))[0], x.shape)

    def find(self, gray: np.ndarray) -> list[FoundLine]:
        """Gray page -> lines in page pixels (unordered)."""
        x, scale = page_input(gray, self.input_side)
        return vectorise(self.maps(x), scale, (gray.shape[1], gray.shape[0]), self.settings, page=x)


_networks: dict[Path, object] = {}
_cache_lock = threading.Lock()


def _network_of(model_dir: str | Path, network_dir: str, kind: type):
    folder = (Path(model_dir) / network_dir).resolve()
    if not has_network(folder):
        return None
    with _cache_lock:
        if folder not in _networks:
            _networks[folder] = kind(folder)
        return _networks[folder]


def line_reader_of(model_dir: str | Path) -> LineReader | None:
    """The line reader of a model version, one per process; None when it has none."""
    return _network_of(model_dir, LINE_READER_DIR, LineReader)


def line_finder_of(model_dir: str | Path) -> LineFinder | None:
    """The line finder of a model version, one per process; None when it has none."""
    return _network_of(model_dir, LINE_FINDER_DIR, LineFinder)


# The glyph classifier lives in the version's own folder.
GLYPH_CLASSIFIER_DIR = ""


def read_model_info(folder: str | Path) -> ModelInfo:
    """The glyph classifier's metadata: the version's name, its classes, its input size."""
    meta = read_meta(folder)
    return ModelInfo(meta["version"], list(meta["classes"]), int(meta.get("input_size", 28)))


def read_reader_info(folder: str | Path) -> ReaderInfo:
    """The field reader's metadata: its version, alphabet and strip height."""
    meta = read_meta(folder)
    return ReaderInfo(meta["version"], list(meta["alphabet"]), int(meta.get("height", LINE_HEIGHT)))


def load_network(folder: str | Path):
    """A fresh copy of the network saved in `folder`, for a trainer to start from or to
    measure (inference goes through a bundle's networks, each loaded once per process)."""
    import keras

    return keras.models.load_model(Path(folder) / WEIGHTS, compile=False)


def inference_copy(model):
    """The network alone, without the optimizer's state and compile settings a trainer
    left on it (a third of the file; it loads without the training code)."""
    import keras

    # From the architecture alone: clone_model would also rebuild the compile settings,
    # which fails for a loss defined in the training code.
    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    return bare


def _loader(folder: Path):
    def load():
        configure_tensorflow_threads()
        return load_network(folder)

    return load


def _glyph_classifier(folder: Path) -> CharClassifier:
    return CharClassifier(read_model_info(folder), _loader(folder))


def _field_reader(folder: Path) -> SequenceReader:
    return SequenceReader(read_reader_info(folder), _loader(folder))


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """One model version as the pipeline uses it: its name and its networks, each
    loaded on first use. The glyph classifier is always there; the field reader, the
    line reader and the line finder only when the version has them (None otherwise).

    The glyph classifier is the one network every version has, and the bundle answers
    for it (`info`, `classes`, `predict_proba`)."""

    folder: Path
    version: str
    classifier: CharClassifier
    reader: SequenceReader | None
    line_reader: LineReader | None
    line_finder: LineFinder | None

    @classmethod
    def open(cls, folder: str | Path) -> ModelBundle:
        """The version in `folder`: its networks' metadata read now, their weights on
        first use. Networks are shared with every other bundle of the same folder."""
        folder = Path(folder).resolve()
        classifier = _network_of(folder, GLYPH_CLASSIFIER_DIR, _glyph_classifier)
        if classifier is None:
            raise FileNotFoundError(f"{folder} holds no model version (no {META})")
        return cls(
            folder=folder,
            version=classifier.version,
            classifier=classifier,
            reader=_network_of(folder, FIELD_READER_DIR, _field_reader),
            line_reader=line_reader_of(folder),
            line_finder=line_finder_of(folder),
        )

    @property
    def info(self) -> ModelInfo:
        return self.classifier.info

    @property
    def classes(self) -> list[str]:
        return self.classifier.classes

    def predict_proba(self, glyphs: np.ndarray) -> np.ndarray:
        return self.classifier.predict_proba(glyphs)

    def preload(self) -> None:
        """Load the glyph classifier and the field reader now (a worker does, after it
        forks, so that its first job is not slow)."""
        self.classifier._load()
        if self.reader is not None:
            self.reader._load()


_bundles: dict[Path, ModelBundle] = {}


def load_bundle(model_dir: str | Path) -> ModelBundle:
    """The model version in `model_dir`, one bundle per folder per process."""
    key = Path(model_dir).resolve()
    with _cache_lock:
        found = _bundles.get(key)
    if found is None:
        found = ModelBundle.open(key)
        with _cache_lock:
            found = _bundles.setdefault(key, found)
    return found


def get_classifier(model_dir: str | Path) -> ModelBundle:
    """`load_bundle` under the name callers have long used for "the model"."""
    return load_bundle(model_dir)
