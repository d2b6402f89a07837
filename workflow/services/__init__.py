"""The business operations of the review workflow, one module per concern.

Each operation is one transaction: it locks the submission (or draft), re-reads
it, checks the rules through workflow.permissions, runs the state machine's
transition, saves, and writes its audit entries before committing. Callers use
``from workflow import services`` and the names below.
"""
from workflow.services.bulk import submissions_bulk_pass
from workflow.services.claims import submission_assign, submission_claim, submission_release
from workflow.services.coverage import membership_revoke, stranded_rounds_notify, user_set_roles
from workflow.services.digest import digest_preference_set, digests_send
from workflow.services.discussion import draft_comment_add
from workflow.services.drafts import draft_revise
from workflow.services.inbox import notification_mark_read, notifications_mark_all_read, notifications_mark_read
from workflow.services.policies import policy_change, policy_create, policy_delete
from workflow.services.delivery import (
    publication_complete_manually, publication_delivered, publication_failed, publication_retry,
    wechat_callback_receive,
)
from workflow.services.publishing import (
    publication_retract, schedule_cancel, schedule_move, schedule_run, submission_publish, submission_schedule,
)
from workflow.services.record import submission_record_export
from workflow.services.reminders import reminders_record, review_reminders_send
from workflow.services.review import submission_decide, submission_submit, submission_withdraw

__all__ = [
    "digest_preference_set", "digests_send", "draft_comment_add", "draft_revise",
    "membership_revoke", "stranded_rounds_notify", "user_set_roles",
    "notification_mark_read", "notifications_mark_all_read", "notifications_mark_read",
    "policy_change", "policy_create", "policy_delete",
    "publication_retract", "submission_publish",
    "publication_complete_manually", "publication_delivered", "publication_failed", "publication_retry",
    "wechat_callback_receive",
    "schedule_cancel", "schedule_move", "schedule_run", "submission_schedule",
    "reminders_record", "review_reminders_send",
    "submission_assign", "submission_claim", "submission_release",
    "submission_decide", "submission_submit", "submission_withdraw",
    "submissions_bulk_pass", "submission_record_export",
]
