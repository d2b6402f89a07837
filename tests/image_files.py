"""Images for upload tests: real ones (every upload is decoded by Pillow and
re-encoded before it is stored) and the hostile files of the security review
(issue 12, "Input hygiene"), each with the words of the refusal it must get.
Shared by the drafts' images (tests/web/test_images.py) and the operations'
evidence files (tests/operations/test_evidence.py)."""
import io
import struct
import zlib

from PIL import Image as PILImage
from PIL import PngImagePlugin


def real_image(fmt, size=(6, 4), pnginfo=None):
    out = io.BytesIO()
    PILImage.new("RGB", size, (30, 120, 200)).save(out, fmt, **({"pnginfo": pnginfo} if pnginfo else {}))
    return out.getvalue()


def png_with_text(key, value):
    """A real PNG carrying a text chunk (metadata the re-encoding must drop)."""
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return real_image("PNG", pnginfo=info)


def gif_js_polyglot():
    """A GIF that is also a script: ``GIF89a/*`` (the width) ... ``*/=alert(1);`` after the image."""
    gif = bytearray(real_image("GIF", size=(8, 8)))
    gif[6:8] = b"/*"  # logical screen width 0x2A2F: the comment opener of the script reading
    return bytes(gif) + b"*/=alert(document.domain);"


def png_declaring(width, height):
    """A small, valid-looking PNG whose header declares ``width`` × ``height`` pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


# (data, words of the refusal) that passed a first-bytes check and were stored as they came.
HOSTILE_IMAGES = [
    (gif_js_polyglot(), "末尾附带了其他内容"),
    (real_image("PNG") + b"<html><script>alert(1)</script></html>", "末尾附带了其他内容"),
    (b"\x89PNG\r\n\x1a\n<!DOCTYPE html><html><script>alert(1)</script></html>", "损坏"),
    (png_declaring(50_000, 50_000), "图片尺寸过大"),
    (png_declaring(8_000, 6_000), "图片尺寸过大（8000×6000 像素），不能超过 40,000,000 像素"),
    (b"GIF89a" + b"\x00" * 40, "损坏"),
]
