"""Check an upload by its content before we store it: what it is, how big, readable."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "TIFF": "image/tiff"}


class UploadRejected(Exception):
    """A problem with the file the user sent; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    size: int


def inspect_image(upload) -> ImageInfo:
    """Identify the file from its bytes (never its name) and make sure it decodes."""
    size = upload.size or 0
    if size == 0:
        raise UploadRejected("The file is empty.", 400)
    if size > settings.HWR_MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"The file is {size} bytes; the limit is {settings.HWR_MAX_UPLOAD_BYTES} bytes.", 413
        )
    upload.seek(0)
    try:
        with Image.open(upload) as img:
            fmt = img.format or ""
            if fmt not in ALLOWED_FORMATS:
                raise UploadRejected(f"Unsupported image type {fmt or 'unknown'}; send PNG, JPEG or TIFF.", 415)
            width, height = img.size
            if width * height > settings.HWR_MAX_PIXELS:
                raise UploadRejected(
                    f"The image has {width * height} pixels; the limit is {settings.HWR_MAX_PIXELS}.", 413
                )
            img.load()  # decode fully: truncated files fail here, not in the worker
    except UploadRejected:
        raise
    except UnidentifiedImageError as exc:
        raise UploadRejected("The file is not an image we can read; send PNG, JPEG or TIFF.", 415) from exc
    except Image.DecompressionBombError as exc:
        raise UploadRejected(f"The image is too large to decode safely: {exc}", 413) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(f"The image is damaged or truncated: {exc}", 400) from exc
    finally:
        upload.seek(0)
    return ImageInfo(ALLOWED_FORMATS[fmt], width, height, size)
