"""Publishing the exact approved revision (先审后发, 授权发布) and retracting it."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from content import selectors as content_selectors
from content import services as content_services
from content.errors import Conflict, ValidationFailed
from content.models import User
from reviewers import selectors as reviewer_selectors
from workflow import notifications, permissions
from workflow.errors import PublicationHidden
from workflow.models import Submission
from workflow.services.common import audit_submission, deny_unless_visible, lock_submission, save_submission


def _approved_hashes(submission):
    return {d.revision_hash for d in reviewer_selectors.decisions_of_rounds([submission.current_round_id])}


@transaction.atomic
def submission_publish(*, actor: User, submission_id: int, external_url: str = "",
                       external_id: str = "") -> Submission:
    """Publish the exact approved revision (先审后发) by an authorised user (授权发布)."""
    content_services.actor_reload(actor)
    submission = lock_submission(submission_id)
    deny_unless_visible(actor, submission)
    refusal = permissions.publish_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    external_url = str(external_url or "").strip()
    if external_url:
        try:
            URLValidator(schemes=["http", "https"])(external_url)
        except ValidationError:
            raise ValidationFailed(fields={"external_url": [_("外部链接格式不正确")]}) from None
    external_id = str(external_id or "").strip()[:200]
    revision = submission.revision
    draft = content_selectors.draft_current_revision_id(submission.draft_id)
    approved = _approved_hashes(submission)
    if (draft != revision.pk or approved != {revision.content_hash}
            or revision.recompute_hash() != revision.content_hash):
        raise Conflict(_("待发布内容与审核通过的内容不一致（哈希不符），已拒绝发布"), code="hash_mismatch")
    publication = content_services.publication_create(actor=actor, draft=submission.draft, revision=revision,
                                                      external_url=external_url, external_id=external_id)
    submission.publish(publication=publication)
    save_submission(submission)
    audit_submission("workflow.submission.published", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "external_url": external_url, "external_id": external_id})
    notifications.published(submission=submission, actor=actor, external_url=external_url)
    notifications.acted_on(submission=submission, actor=actor)
    notifications.publish_items_done(submission=submission)
    return submission


@transaction.atomic
def publication_retract(*, actor: User, publication_id: int, reason: str) -> Submission:
    """Retract a publication (撤稿). The record stays, marked with the reason."""
    content_services.actor_reload(actor)
    sub_id = (Submission.objects.filter(publication_id=publication_id).values_list("pk", flat=True).first()
              if str(publication_id).isdigit() else None)
    if sub_id is None:
        raise PublicationHidden()
    submission = lock_submission(sub_id, hidden=PublicationHidden)
    deny_unless_visible(actor, submission, hidden=PublicationHidden)
    refusal = permissions.retract_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("撤稿必须填写原因")]})
    if len(reason) > 2000:
        raise ValidationFailed(fields={"reason": [_("撤稿原因不能超过 2000 个字符")]})
    publication = content_selectors.publication_for_update(publication_id)
    content_services.publication_mark_retracted(actor=actor, publication=publication, reason=reason)
    submission.retract()
    save_submission(submission)
    audit_submission("workflow.submission.retracted", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "reason": reason})
    notifications.retracted(submission=submission, actor=actor, reason=reason)
    notifications.acted_on(submission=submission, actor=actor)
    return submission
