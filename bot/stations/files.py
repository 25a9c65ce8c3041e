"""What a file uploaded in the console may be, and how a kept file is served.

A photo is an image Pillow reads as JPEG, PNG, WebP or GIF (its type read from its bytes, never from the
browser's word); anything else is a document, kept with a plain file name. Serving follows the web
chat's rule (`bot.webchat.INLINE_IMAGES`): only an image whose bytes say so is shown inline; every
other file is a download (`Content-Disposition: attachment`), with `nosniff`, so a file that claims to
be HTML or SVG never runs in the console's origin.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from bot.stations.records import FileDraft
from storage.models.stations import FileKind

__all__ = ["MAX_UPLOAD_BYTES", "Served", "UploadProblem", "served", "sniff_image", "upload"]

# A photo Telegram takes from a client is at most 10 MB; the console keeps files of that size too.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_MIME = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")


class UploadProblem(Exception):
    """Why an upload was refused: "empty" or "too_large"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff_image(data: bytes) -> str | None:
    """The image's MIME type when Pillow reads the bytes as one we show, else None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return IMAGE_TYPES.get(kind or "")


def plain_name(value: str | None) -> str:
    """A file name without folders or control characters, at most 255 characters."""
    name = str(value or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"').strip()
    return name[:255] or "file"


def upload(data: bytes, file_name: str | None, mime_type: str | None, caption: str | None) -> FileDraft:
    """A console upload as a file to keep: a photo when its bytes are an image we show, else a document.

    Raises:
        UploadProblem: an empty file, or one over `MAX_UPLOAD_BYTES`.
    """
    if not data:
        raise UploadProblem("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadProblem("too_large")
    image = sniff_image(data)
    if image is not None:
        return FileDraft(
            FileKind.PHOTO, file_name=plain_name(file_name), mime_type=image, data=data, caption=caption
        )
    mime = (mime_type or "").lower()
    return FileDraft(
        FileKind.DOCUMENT,
        file_name=plain_name(file_name),
        mime_type=mime if _MIME.match(mime) else "application/octet-stream",
        data=data,
        caption=caption,
    )


@dataclass(frozen=True)
class Served:
    """How to answer with a file: its type, and the headers (inline only for a real image)."""

    content_type: str
    headers: dict[str, str]


def served(data: bytes, file_name: str | None, fallback_name: str) -> Served:
    """The response's type and headers for these bytes: an image we show inline, else a download."""
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    image = sniff_image(data)
    if image is not None:
        return Served(image, headers)
    name = plain_name(file_name or fallback_name)
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Served("application/octet-stream", headers)
