"""Background tasks of operations (see content.background)."""
from content import services as content_services
from content.background import background_task
from operations import services


@background_task
def operations_reminders(*, period=""):
    """The daily job (project/periodic.py): duty gaps a week ahead, overdue
    patrols, problem deadlines and their escalation."""
    return {"period": period, **services.operations_reminders_send(actor=content_services.system_actor())}


@background_task
def site_patrol_run(*, run_id):
    """One website patrol asked for (idempotent: a run already started or done is left as it is)."""
    run = services.site_patrol_execute(actor=content_services.system_actor(), run_id=run_id)
    return {"run": run.pk, "state": run.state, "pages": run.pages}


@background_task
def site_patrols_due(*, period=""):
    """The daily job (project/periodic.py): a patrol of each website whose schedule is due."""
    return {"period": period, "runs": services.site_patrols_due_request(actor=content_services.system_actor())}


@background_task
def recheck_run(*, run_id):
    """One re-check of published content asked for (idempotent)."""
    run = services.recheck_execute(actor=content_services.system_actor(), run_id=run_id)
    return {"run": run.pk, "checked": run.checked, "flagged": run.flagged}


@background_task
def lexicon_recheck(*, period=""):
    """The hourly job (project/periodic.py): after a lexicon change, a re-check of the year's publications."""
    run = services.recheck_after_lexicon_change(actor=content_services.system_actor())
    return {"period": period, "run": run.pk if run else None}


@background_task
def repost_reminders(*, period=""):
    """The daily job (project/periodic.py): repost assignments due soon, to the accounts that have not reposted."""
    return {"period": period, "told": services.repost_reminders_send(actor=content_services.system_actor())}
