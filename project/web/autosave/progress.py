"""The autosave of the pages' forms (work in progress): which forms keep it,
under which key, restoring it into a form, and clearing it when the real save
succeeds. The endpoints the scripts call are in ``project.web.autosave.views``.

A form's work in progress is ``content.models.WorkInProgress``: one entry per
person and form, private to him, not a revision and not audited. The forms:

| key | form | fields kept |
| --- | --- | --- |
| ``draft:new`` | the editor for a new draft (one per person; the account is one of the values) | ``DRAFT_FIELDS`` |
| ``draft:<draft id>`` | the editor of that draft | ``DRAFT_FIELDS`` without ``account`` |
| ``review:<submission id>`` | the reviewer's decision form | ``REVIEW_FIELDS`` |

``base`` records what the form was opened on (``r<revision number>``,
``t<tier>:<content hash>``), so that restoring can say when the draft was saved
again, or the content under review changed, after the autosave.
"""
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from content import selectors as content_selectors
from content import services as content_services
from project.web.common import call_service
from project.web.context import note_work_in_progress_cleared
from reviewers import checklist

DRAFT_NEW_KEY = "draft:new"
DRAFT_FIELDS = ("account", "title", "body", "is_repost", "source_name", "source_url", "original_title")
DRAFT_HTML_FIELDS = ("body",)
REVIEW_FIELDS = (*checklist.DIMENSIONS, *(f"{d}_comment" for d in checklist.DIMENSIONS), "note",
                 "precheck_override")
CHECKED = (True, "on", "true", "1")


def draft_key(draft_id):
    return f"draft:{draft_id}"


def review_key(submission_id):
    return f"review:{submission_id}"


def draft_base(draft):
    revision = draft.current_revision if draft is not None else None
    return f"r{revision.number}" if revision is not None else ""


def review_base(submission):
    task = submission.current_task
    return f"t{task.tier}:{submission.revision.content_hash}" if task is not None else ""


def saved_label(moment):
    """"14:03" today, "2026-11-30 14:03" before (local time)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def _comparable(value):
    if value is True:
        return "on"
    if value in (None, False):
        return ""
    return str(value)


def restore(request, key, *, initial, values_for_form, base):
    """The form's initial values with the user's work in progress of ``key``
    laid over them, and what the page says about it (None when there is none).

    ``values_for_form(data)`` keeps the stored values the form may take, in its
    types. Work in progress equal to what the form shows anyway (e.g. a late
    autosave of content that was then saved unchanged) is dropped silently.
    """
    entry = content_selectors.work_in_progress_for(request.user, key)
    if entry is None:
        return initial, None
    values = values_for_form(entry.data if isinstance(entry.data, dict) else {})
    merged = {**initial, **values}
    if all(_comparable(merged.get(name)) == _comparable(initial.get(name)) for name in values):
        content_services.work_in_progress_discard(actor=request.user, key=key)
        return initial, None
    return merged, {"key": key, "saved_at": entry.updated_at, "label": saved_label(entry.updated_at),
                    "stale": bool(entry.base and base and entry.base != base)}


def draft_values(data, *, accounts=None):
    """Stored editor values for DraftForm: ``account`` only for a new draft and
    only one the user may still write for (``accounts``)."""
    values = {name: data[name] for name in DRAFT_FIELDS if name in data and name != "account"}
    for name in list(values):
        if name == "is_repost":
            values[name] = data[name] in CHECKED
        elif not isinstance(values[name], str):
            values.pop(name)
    if accounts is not None:
        account = str(data.get("account") or "")
        if account.isdigit() and int(account) in {a.pk for a in accounts}:
            values["account"] = int(account)
    return values


def review_values(data):
    """Stored decision-form values: the verdicts (pass/fail), comments, note and
    override reason — never the outcome, tier or hash, which come from the page."""
    values = {}
    for name in REVIEW_FIELDS:
        value = data.get(name)
        if name in checklist.DIMENSIONS:
            if value in checklist.VERDICTS:
                values[name] = value
        elif isinstance(value, str):
            values[name] = value
    return values


def page_context(key, base, restored=None):
    """Template context of a form that autosaves (``web/_autosave.html`` and the
    form's data attributes)."""
    return {"autosave": {
        "key": key, "base": base, "restored": restored,
        "url": reverse("web:autosave"), "discard_url": reverse("web:autosave_discard"),
        "interval": max(2, settings.AUTOSAVE_INTERVAL_SECONDS),
    }}


def discard(request, key):
    """Drop the user's work in progress of ``key`` (inside the caller's
    transaction, if any) and tell the next page to drop the browser's copy."""
    content_services.work_in_progress_discard(actor=request.user, key=key)
    note_work_in_progress_cleared(request, key)


def call_and_clear(request, key, service, /, **kwargs):
    """``call_service``, and when the service succeeds, the work in progress of
    ``key`` is discarded in the same transaction: it is gone exactly when the
    real save (submission, decision) committed."""
    with transaction.atomic():
        result, error = call_service(request, service, **kwargs)
        if error is None:
            content_services.work_in_progress_discard(actor=request.user, key=key)
    if error is None:
        note_work_in_progress_cleared(request, key)
    return result, error
