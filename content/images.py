"""File types recognised by their content (pure: no Django, no database),
and the one way an upload is read.

Images: only raster formats a browser shows as images — PNG, JPEG, GIF and
WebP. SVG is never accepted (it is XML that can carry scripts), and the file
name or the browser's declared type count for nothing: the first bytes decide.
Evidence files of daily operations (operations.models.Evidence) are these
images or a PDF, recognised by its ``%PDF-`` header and an ``%%EOF`` marker
near its end.
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


PDF_CONTENT_TYPE = "application/pdf"
# A PDF's trailer ends with %%EOF; writers may follow it with a line break or a
# little padding, so the marker is looked for in the last kilobyte.
PDF_EOF_WINDOW = 1024
# extension -> content type served back, for evidence files
EVIDENCE_TYPES = {**IMAGE_TYPES, "pdf": PDF_CONTENT_TYPE}
EVIDENCE_TYPE_LABEL = "PNG、JPEG、GIF、WebP 截图或 PDF 文件"


def is_pdf(data):
    """Whether these bytes (the whole file) look like a PDF: the ``%PDF-``
    header at the start and ``%%EOF`` within the last kilobyte."""
    data = bytes(data)
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-PDF_EOF_WINDOW:]


def sniff_evidence_type(data):
    """The extension of an evidence file ("png", "jpg", "gif", "webp", "pdf")
    for its whole content, or None: an image by sniff_image_type, else a PDF."""
    return sniff_image_type(data[:16]) or ("pdf" if is_pdf(data) else None)


def read_upload(file, limit):
    """An upload's bytes, reading at most ``limit + 1`` (so an oversized file
    is refused without holding all of it): Django's UploadedFile by chunks, or
    any file object by read()."""
    if hasattr(file, "seek"):
        file.seek(0)
    if hasattr(file, "chunks"):
        data = bytearray()
        for chunk in file.chunks():
            data += chunk
            if len(data) > limit:
                break
        return bytes(data)
    return file.read(limit + 1)
