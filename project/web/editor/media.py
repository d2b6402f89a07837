"""Image uploads for the editor and serving them back.

Uploaded files are never served by the web server from MEDIA_ROOT directly:
this view checks the viewer and answers with the stored image type, ``nosniff``
and a ``default-src 'none'`` policy, so even a crafted file never runs as HTML.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed, NotFound
from content.models import Image
from project.errors import status_for
from project.web.common import call_service
from project.web.editor.forms import ImageUploadForm
from project.web.editor.views import writable_accounts
from reviewers import permissions as reviewer_permissions

FIGCAPTION_PREFIX = "图片来源："


def can_view_image(user, image):
    """Whoever may view the account's drafts: the uploader, users who may view
    the account (content.permissions.can_view_account), and reviewers holding a
    tier for it (reviewers.permissions.reviews_account, as
    workflow.permissions.can_view_submission)."""
    if not content_permissions.is_active_user(user):
        return False
    if image.uploaded_by_id == user.pk or content_permissions.can_view_account(user, image.account):
        return True
    return reviewer_permissions.reviews_account(user, image.account)


def _image_payload(image):
    url = reverse("web:media_image", args=[image.key])
    caption = f"{FIGCAPTION_PREFIX}{image.source}"
    return {"key": image.key, "url": url, "alt": image.alt, "source": image.source, "caption": caption,
            "content_type": image.content_type, "size": image.size,
            "snippet": str(format_html('<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>',
                                       url, image.alt, caption))}


@login_required
@require_http_methods(["GET", "POST"])
def image_upload(request):
    """POST (multipart): account, file, source, alt. A fetch (Accept: JSON)
    gets JSON; a plain form gets a page with the HTML to paste into the body.
    Editors only (content.permissions.role_refusal, as the services ask)."""
    refusal = content_permissions.role_refusal(request.user, roles.EDITOR)
    if refusal:
        refusal.raise_()
    accounts = writable_accounts(request.user)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "GET":
        initial = {"account": request.GET.get("account") or (accounts[0].pk if len(accounts) == 1 else "")}
        return render(request, "web/drafts/image_upload.html", {"form": ImageUploadForm(accounts=accounts,
                                                                                         initial=initial)})
    form = ImageUploadForm(request.POST, request.FILES, accounts=accounts)
    form.is_valid()
    image, error = None, None
    if not form.errors:
        image, error = call_service(request, content_services.image_upload, form=form,
                                    account_id=form.cleaned_data["account"], file=request.FILES.get("file"),
                                    source=form.cleaned_data.get("source", ""), alt=form.cleaned_data.get("alt", ""))
    status = status_for(error) if error is not None else (400 if form.errors else 200)
    if wants_json:
        if image is None:
            fields = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
            detail = error.message if error is not None else "图片未上传"
            return JsonResponse({"detail": detail, "fields": fields}, status=status,
                                json_dumps_params={"ensure_ascii": False})
        return JsonResponse(_image_payload(image), status=201, json_dumps_params={"ensure_ascii": False})
    if image is None:
        return render(request, "web/drafts/image_upload.html", {"form": form}, status=status)
    messages.success(request, "图片已上传。")
    return render(request, "web/drafts/image_upload.html", {
        "form": ImageUploadForm(accounts=accounts, initial={"account": image.account_id}),
        "uploaded": _image_payload(image)}, status=201)


@login_required
@require_GET
def media_image(request, key):
    image = content_selectors.image_by_key(key)
    if image is None or not can_view_image(request.user, image):
        raise NotAllowed("没有权限查看该图片")
    try:
        handle = image.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound("图片文件不存在") from None
    content_type = image.content_type if image.content_type in Image.CONTENT_TYPES else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Content-Disposition"] = f'inline; filename="{image.key}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
