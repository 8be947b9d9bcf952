"""Where data and shipped models live; every path can be overridden from the environment."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HWR_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
EMNIST_PATH = DATA_DIR / "emnist" / "emnist-byclass.npz"
NAMES_DEV_DIR = DATA_DIR / "names-dev"
PAGES_DEV_DIR = DATA_DIR / "pages-dev"
SHIPPED_MODELS_DIR = REPO_ROOT / "training" / "models"
# The model shipped with the code; a new shipped version changes this one line.
SHIPPED_MODEL_DIR = SHIPPED_MODELS_DIR / "hwr-8"
DEFAULT_MODEL_DIR = Path(os.environ.get("HWR_MODEL_DIR", SHIPPED_MODEL_DIR))
