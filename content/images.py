"""Image types recognised by their content (pure: no Django, no database).

Only raster formats a browser shows as images: PNG, JPEG, GIF and WebP. SVG
is never accepted (it is XML that can carry scripts), and the file name or the
browser's declared type count for nothing: the first bytes decide.
"""

# extension -> content type served back
IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
IMAGE_TYPE_LABEL = "PNG、JPEG、GIF、WebP"


def sniff_image_type(head):
    """The extension ("png", "jpg", "gif", "webp") for these leading bytes, or None."""
    head = bytes(head[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None
