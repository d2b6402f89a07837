"""Background tasks of the workflow (see content.background): the due-time
reminders of review tasks and the review-coverage check (the e-mail of
notifications is workflow.mail). Each runs as the
named system actor and calls a service, like any other caller."""
from content import services as content_services
from content.background import background_task
from workflow import services


@background_task
def review_reminders(*, period=""):
    """The hourly job: reminders of review tasks due soon or overdue, and the
    escalation of overdue ones (project/periodic.py)."""
    return {"period": period, **services.review_reminders_send(actor=content_services.system_actor())}


@background_task
def review_coverage_check(*, period=""):
    """The hourly job: rounds whose current tier nobody may decide are told to
    their editor and the security administrators, once per round and tier
    (workflow.services.stranded_rounds_notify; ``manage.py check_review_coverage`` by hand)."""
    found, notified = services.stranded_rounds_notify(actor=content_services.system_actor())
    return {"period": period, "stranded": len(found), "notified": len(notified)}


@background_task
def daily_digest(*, period=""):
    """The daily job: the digest e-mail of each user who turned it on
    (workflow.services.digests_send), once per user and day."""
    return {"period": period, **services.digests_send(actor=content_services.system_actor())}
