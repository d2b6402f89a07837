"""The discussion of a draft (讨论): comments on the draft or one of its
revisions, visible to its editor and reviewers (workflow.permissions.can_discuss_draft),
@mentions notifying the mentioned users who may see the draft; no state changes;
each comment audited and kept with the draft."""
from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import services as content_services
from content.errors import DraftHidden, ValidationFailed
from content.models import Revision, User
from workflow import notifications, permissions, selectors
from workflow.models import DraftComment

MENTION = re.compile(r"@([A-Za-z0-9_.\-]{1,150})")
MAX_BODY = 4000


@transaction.atomic
def draft_comment_add(*, actor: User, draft_id: int, body: str, revision_id: int | None = None) -> DraftComment:
    """Add a comment to a draft's discussion (about ``revision_id``, one of
    its revisions, when given). Mentioned users who may see the draft are
    notified; others are not told anything."""
    content_services.actor_reload(actor)
    draft = selectors.draft_discussable_by(actor, draft_id)
    body = str(body or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": [_("请填写讨论内容")]})
    if len(body) > MAX_BODY:
        raise ValidationFailed(fields={"body": [_("讨论内容不能超过 %(n)d 个字符") % {"n": MAX_BODY}]})
    revision = None
    if revision_id is not None:
        revision = Revision.objects.filter(pk=revision_id, draft=draft).first() if str(revision_id).isdigit() else None
        if revision is None:
            raise ValidationFailed(fields={"revision": [_("该稿件没有这个版本")]})
    names = list(dict.fromkeys(MENTION.findall(body)))[:20]
    mentioned = [u for u in User.objects.filter(username__in=names, is_active=True).exclude(pk=actor.pk)
                 if permissions.can_discuss_draft(u, draft)]
    comment = DraftComment.objects.create(draft=draft, revision=revision, author=actor, body=body,
                                          mentions=[u.pk for u in mentioned])
    audit_record(action="workflow.draft.commented", actor=actor, target_type="content.draft", target_id=draft.pk,
                 org_path=draft.account.org.path, account_id=draft.account_id, draft_id=draft.pk,
                 data={"comment_id": comment.pk, "revision": revision.number if revision else None,
                       "body": body, "mentions": [u.username for u in mentioned]})
    notifications.mentioned(draft=draft, actor=actor, recipients=[u.pk for u in mentioned], body=body)
    return comment
