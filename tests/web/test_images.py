"""Image uploads: type by content, size, source, permission, storage under
MEDIA_ROOT, audit, and serving them back never as HTML."""
import hashlib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed, ValidationFailed
from content.images import sniff_image_type
from content.models import Image
from content.sanitize import LOCAL_IMAGE_PREFIX, LOCAL_IMAGE_RE, clean_html
from tests import factories
from tests.image_files import HOSTILE_IMAGES, png_with_text, real_image
from tests.workflow.helpers import new_draft

# Real images (every upload is decoded by Pillow and re-encoded before it is stored).
PNG = real_image("PNG")
JPEG = real_image("JPEG")
GIF = real_image("GIF")
WEBP = real_image("WEBP")
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def upload(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_image(client, world, data=PNG, name="photo.png", source="本校宣传部摄", alt="运动会开幕式",
               content_type="image/png", json=True, account=None):
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(reverse("web:image_upload"), {
        "account": account or world.account.pk, "file": upload(name, data, content_type), "source": source,
        "alt": alt}, **extra)


# ---------------------------------------------------------------- the pure type check

@pytest.mark.parametrize("data,ext", [(PNG, "png"), (JPEG, "jpg"), (GIF, "gif"), (WEBP, "webp"),
                                      (SVG, None), (HTML, None), (b"", None), (b"RIFF\x00\x00\x00\x00WAVE", None)])
def test_sniff_image_type_reads_the_first_bytes(data, ext):
    assert sniff_image_type(data) == ext


# ---------------------------------------------------------------- the service

def test_image_upload_stores_the_file_under_media_root_and_audits(world, media_root):
    image = content_services.image_upload(actor=world.editor, account_id=world.account.pk,
                                          file=upload("我的照片.png", PNG), source=" 本校宣传部摄 ", alt="开幕式")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", image.key)
    assert image.content_type == "image/png" and image.size == len(PNG)
    assert image.sha256 == hashlib.sha256(PNG).hexdigest()
    assert image.source == "本校宣传部摄" and image.alt == "开幕式"
    stored = media_root / image.file.name
    assert stored.read_bytes() == PNG
    assert image.key in image.file.name and "我的照片" not in image.file.name
    entry = AuditEntry.objects.get(action="content.image.uploaded")
    assert entry.target_id == str(image.pk) and entry.account_id == world.account.pk
    assert entry.data["sha256"] == image.sha256 and entry.data["source"] == "本校宣传部摄"


def test_image_upload_needs_the_right_to_write_for_the_account(world, media_root):
    other = factories.account(world.school, name="未授权账号", handle="no-grant")
    with pytest.raises(NotAllowed):
        content_services.image_upload(actor=world.editor, account_id=other.pk, file=upload("a.png", PNG),
                                      source="x")
    with pytest.raises(NotAllowed):
        content_services.image_upload(actor=world.outsider, account_id=world.account.pk,
                                      file=upload("a.png", PNG), source="x")
    with pytest.raises(NotAllowed):
        content_services.image_upload(actor=world.editor, account_id="nope", file=upload("a.png", PNG), source="x")
    assert not Image.objects.exists()
    assert not AuditEntry.objects.filter(action="content.image.uploaded").exists()
    assert not media_root.exists() or not any(media_root.rglob("*.png"))


def test_image_upload_requires_a_source(world):
    with pytest.raises(ValidationFailed) as exc:
        content_services.image_upload(actor=world.editor, account_id=world.account.pk, file=upload("a.png", PNG),
                                      source="  ")
    assert "source" in exc.value.fields
    assert not Image.objects.exists()


def test_image_upload_refuses_a_closed_account(world):
    from content.errors import AccountClosed

    content_services.account_close(actor=world.manager, account_id=world.account.pk, reason="停运")
    with pytest.raises(AccountClosed):
        content_services.image_upload(actor=world.editor, account_id=world.account.pk, file=upload("a.png", PNG),
                                      source="x")


# ---------------------------------------------------------------- the upload view

def test_upload_returns_the_url_and_caption(client, world):
    client.force_login(world.editor)
    response = post_image(client, world)
    assert response.status_code == 201
    data = response.json()
    image = Image.objects.get()
    assert data["url"] == reverse("web:media_image", args=[image.key])
    assert data["caption"] == "图片来源：本校宣传部摄" and data["alt"] == "运动会开幕式"
    assert LOCAL_IMAGE_RE.match(data["url"])
    # the HTML the editor inserts survives the one HTML policy
    figure = f'<figure><img src="{data["url"]}" alt="运动会开幕式"><figcaption>图片来源：本校宣传部摄</figcaption></figure>'
    assert clean_html(figure) == figure


def test_an_html_file_renamed_png_is_refused(client, world):
    client.force_login(world.editor)
    response = post_image(client, world, data=HTML, name="evil.png")
    assert response.status_code == 400
    assert "只能上传" in " ".join(response.json()["fields"]["file"])
    assert not Image.objects.exists()


def test_svg_is_refused(client, world):
    client.force_login(world.editor)
    response = post_image(client, world, data=SVG, name="logo.svg", content_type="image/svg+xml")
    assert response.status_code == 400
    assert "SVG" in " ".join(response.json()["fields"]["file"])
    assert not Image.objects.exists()


def test_an_oversize_image_is_refused(client, world, settings):
    settings.IMAGE_MAX_BYTES = 1024
    client.force_login(world.editor)
    response = post_image(client, world, data=PNG + b"\x00" * 2000)
    assert response.status_code == 400
    assert "不能超过" in " ".join(response.json()["fields"]["file"])
    assert not Image.objects.exists()
    assert post_image(client, world, data=PNG).status_code == 201


def test_missing_source_is_reported_next_to_the_field(client, world):
    client.force_login(world.editor)
    response = post_image(client, world, source="")
    assert response.status_code == 400 and "source" in response.json()["fields"]
    response = post_image(client, world, source="", json=False)
    assert response.status_code == 400
    assert 'id="id_source_error"' in response.content.decode()


def test_upload_for_an_account_without_grant_is_403(client, world):
    other = factories.account(world.school, name="未授权账号", handle="no-grant")
    client.force_login(world.editor)
    response = post_image(client, world, account=other.pk)
    assert response.status_code == 403
    assert not Image.objects.exists()


def test_upload_without_javascript_shows_the_snippet(client, world):
    client.force_login(world.editor)
    assert client.get(reverse("web:image_upload")).status_code == 200
    response = post_image(client, world, json=False, alt='"><script>alert(1)</script>')
    assert response.status_code == 201
    html = response.content.decode()
    assert 'data-testid="image-snippet"' in html and "图片来源：本校宣传部摄" in html
    assert "<script>alert(1)" not in html


def test_upload_needs_login_and_post_needs_csrf(client, world):
    response = client.post(reverse("web:image_upload"), {})
    assert response.status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.editor)
    response = strict.post(reverse("web:image_upload"), {"account": world.account.pk, "source": "x",
                                                          "file": upload("a.png", PNG)})
    assert response.status_code == 403
    assert not Image.objects.exists()


# ---------------------------------------------------------------- serving

def _uploaded(world, data=PNG, name="a.png"):
    return content_services.image_upload(actor=world.editor, account_id=world.account.pk, file=upload(name, data),
                                         source="本校摄")


def test_the_served_image_has_its_type_nosniff_and_csp(client, world):
    image = _uploaded(world)
    client.force_login(world.editor)
    response = client.get(reverse("web:media_image", args=[image.key]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("data, message", HOSTILE_IMAGES)
def test_polyglots_broken_files_and_pixel_bombs_are_refused(world, data, message):
    """Security review: these passed the first-bytes check and were stored as they came."""
    with pytest.raises(ValidationFailed) as caught:
        _uploaded(world, data=data, name="x.png")
    assert message in caught.value.fields["file"][0]
    assert not Image.objects.exists()


def test_what_is_stored_is_the_re_encoding_not_the_upload(world, media_root):
    image = _uploaded(world, data=png_with_text("Comment", "<script>x</script>"))
    stored = (media_root / image.file.name).read_bytes()
    assert b"<script>" not in stored and PILImage.open(io.BytesIO(stored)).size == (6, 4)
    assert image.sha256 == hashlib.sha256(stored).hexdigest() and image.size == len(stored)


def test_the_pixel_limit_is_a_setting(world, settings):
    settings.IMAGE_MAX_PIXELS = 20
    with pytest.raises(ValidationFailed) as caught:
        _uploaded(world, data=PNG)  # 6 × 4 = 24 pixels
    assert "不能超过 20 像素" in caught.value.fields["file"][0]


def test_who_may_see_an_image(client, world):
    image = _uploaded(world)
    url = reverse("web:media_image", args=[image.key])
    for user in (world.editor2, world.reviewers[0], world.reviewer1b, world.publisher, world.auditor):
        client.force_login(user)
        assert client.get(url).status_code == 200, user.username
    client.force_login(world.outsider)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_an_unknown_image_is_403_like_a_foreign_one(client, world):
    client.force_login(world.editor)
    assert client.get(LOCAL_IMAGE_PREFIX + "0" * 32 + ".png").status_code == 403


def test_the_sanitiser_prefix_matches_the_url(world):
    image = _uploaded(world)
    url = reverse("web:media_image", args=[image.key])
    assert url.startswith(LOCAL_IMAGE_PREFIX) and LOCAL_IMAGE_RE.match(url)


def test_the_sanitiser_keeps_only_our_images(world):
    out = clean_html('<img src="/drafts/images/' + "a" * 32 + '.png" alt="a">'
                     '<img src="http://example.org/a.png" alt="b">'
                     '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="c">'
                     '<img src="/admin/logout/" alt="d">'
                     '<img src="https://img.example.org/e.png" alt="e">'
                     '<img src="javascript:alert(1)" alt="f">')
    assert '<img src="/drafts/images/' + "a" * 32 + '.png" alt="a">' in out
    for bad in ("http://example.org", "https://img.example.org", "data:", "/admin/", "javascript:"):
        assert bad not in out


def test_a_saved_draft_keeps_an_uploaded_figure(client, world):
    image = _uploaded(world)
    url = reverse("web:media_image", args=[image.key])
    body = f'<p>开幕式</p><figure><img src="{url}" alt="开幕"><figcaption>图片来源：本校摄</figcaption></figure>'
    draft = new_draft(world, body=body)
    assert f'<img src="{url}" alt="开幕">' in draft.current_revision.body_html
    client.force_login(world.editor)
    html = client.get(reverse("web:draft_detail", args=[draft.pk])).content.decode()
    assert f'src="{url}"' in html and "<figcaption>图片来源：本校摄</figcaption>" in html
