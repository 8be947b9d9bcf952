"""The recognition pipeline: plain Python over NumPy arrays, no Django."""

from .bundle import ModelBundle, get_classifier, load_bundle
from .charsets import Charset, CharsetError, parse_charset
from .classify import CharClassifier
from .lexicon import Lexicon
from .overlay import encode_png, render_overlay
from .preprocess import UnreadableImage, decode_image, load_image
from .recognize import LAYOUTS, RecognitionOptions, recognize_image
from .types import Box, PageResult

__all__ = [
    "LAYOUTS",
    "Box",
    "CharClassifier",
    "Charset",
    "CharsetError",
    "Lexicon",
    "ModelBundle",
    "PageResult",
    "RecognitionOptions",
    "UnreadableImage",
    "decode_image",
    "encode_png",
    "get_classifier",
    "load_bundle",
    "load_image",
    "parse_charset",
    "recognize_image",
    "render_overlay",
]
