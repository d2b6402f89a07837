"""The review record (审稿单) of a submission: generated from the records
(workflow.selectors.review_record) for the printable page and the PDF; every
download or print view is audited."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from content import services as content_services
from content.errors import ValidationFailed
from content.models import User
from workflow import selectors
from workflow.services.common import audit_submission

RECORD_FORMATS = ("pdf", "html")


@transaction.atomic
def submission_record_export(*, actor: User, submission_id: int, fmt: str = "pdf") -> dict[str, Any]:
    """The review record of a submission the actor may view, with an audit
    entry (``workflow.submission.record_exported``) naming the format."""
    if fmt not in RECORD_FORMATS:
        raise ValidationFailed(fields={"format": [_("格式只能是 pdf 或 html")]})
    content_services.actor_reload(actor)
    submission = selectors.submission_visible_to(actor, submission_id)
    record = selectors.review_record(submission)
    audit_submission("workflow.submission.record_exported", actor=actor, submission=submission,
                     data={"format": fmt, "rounds": len(record["rounds"])})
    return record
