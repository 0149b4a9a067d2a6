"""How a stored file may be shown: which types a browser opens inline (item 3 of issue #8).

Only raster images that every browser renders are shown inline (as thumbnails on the resident's
page, opened in the browser by staff); everything else, PDF and HEIC included, is a download.
The type is the one the intake found in the file's bytes (``intake.uploads.check_upload``),
never the name the resident gave.
"""

from __future__ import annotations

INLINE_IMAGE_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/webp"})


def shows_inline(content_type: str) -> bool:
    """True when a file of ``content_type`` is shown in the browser (an image), else a download."""
    return content_type in INLINE_IMAGE_TYPES
