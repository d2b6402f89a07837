"""File types recognised by their content (pure: no Django, no database),
and the one way an upload is read.

Images: only raster formats a browser shows as images — PNG, JPEG, GIF and
WebP. SVG is never accepted (it is XML that can carry scripts), and the file
name or the browser's declared type count for nothing: the first bytes decide.
Evidence files of daily operations (operations.models.Evidence) are these
images or a PDF, recognised by its ``%PDF-`` header and an ``%%EOF`` marker
near its end.
"""
import io

from PIL import Image as PILImage
from PIL import ImageSequence, UnidentifiedImageError

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


# ---------------------------------------------------------------- real decoding (Pillow)

PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}


class ImageRefused(ValueError):
    """An upload that is not a clean image of its type; the message is for the user (Chinese)."""


def _png_end(data):
    pos = 8
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def _gif_sub_blocks(data, pos):
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return None


def _gif_end(data):
    if len(data) < 13:
        return None
    pos = 13
    if data[10] & 0x80:
        pos += 3 * (2 << (data[10] & 0x07))
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:
            pos = _gif_sub_blocks(data, pos + 2)
        elif block == 0x2C:
            if pos + 10 > len(data):
                return None
            flags = data[pos + 9]
            pos += 10 + (3 * (2 << (flags & 0x07)) if flags & 0x80 else 0) + 1
            pos = _gif_sub_blocks(data, pos)
        else:
            return None
        if pos is None:
            return None
    return None


def _end_of_image(ext, data):
    """Where the image's own structure ends (None: unknown or broken)."""
    if ext == "png":
        return _png_end(data)
    if ext == "gif":
        return _gif_end(data)
    if ext == "jpg":
        return len(data) if data.rstrip(b"\x00").endswith(b"\xff\xd9") else None
    if ext == "webp":
        size = int.from_bytes(data[4:8], "little") + 8
        return size + (size & 1) if size <= len(data) + 1 else None
    return None


def decode_image(data, *, max_pixels):
    """The extension and the re-encoded bytes of an uploaded image, decoded for real.

    Refused (``ImageRefused``): a type other than PNG, JPEG, GIF or WebP by content;
    more than ``max_pixels`` pixels as its header declares (before anything is
    decoded: a small file may declare 50,000 × 50,000); bytes after the image's
    own end (a GIF/JS polyglot, PNG magic followed by HTML); anything the decoder
    cannot read whole. What is stored is Pillow's re-encoding, so no byte of the
    upload itself (metadata, appended data) is ever served."""
    ext = sniff_image_type(data[:16])
    if ext is None:
        raise ImageRefused(f"只能上传 {IMAGE_TYPE_LABEL} 图片（按文件内容识别，不接受 SVG 或其他文件）")
    try:
        image = PILImage.open(io.BytesIO(data), formats=[PIL_FORMATS[ext]])
    except PILImage.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise ImageRefused(f"图片尺寸过大，不能超过 {max_pixels:,} 像素") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused("图片文件已损坏或与其格式不符，无法识别") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRefused(f"图片尺寸过大（{width}×{height} 像素），不能超过 {max_pixels:,} 像素")
    end = _end_of_image(ext, data)
    if end is None or end < len(data):
        raise ImageRefused("图片文件结构异常或末尾附带了其他内容（可能是伪装成图片的脚本或网页），不能上传")
    try:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError) as exc:
        raise ImageRefused("图片文件已损坏，无法完整解码") from exc
    out = io.BytesIO()
    first = frames[0]
    if ext == "jpg":
        first.convert("RGB").save(out, "JPEG", quality=90)
    elif ext == "gif" and len(frames) > 1:
        first.save(out, "GIF", save_all=True, append_images=frames[1:], loop=image.info.get("loop", 0),
                   duration=image.info.get("duration", 100))
    elif ext == "webp" and len(frames) > 1:
        first.save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    else:
        first.save(out, PIL_FORMATS[ext], **({"lossless": True} if ext == "webp" else {}))
    return ext, out.getvalue()
