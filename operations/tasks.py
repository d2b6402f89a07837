"""Background tasks of operations (see content.background)."""
from content import services as content_services
from content.background import background_task
from operations import services


@background_task
def operations_reminders(*, period=""):
    """The daily job (project/periodic.py): duty gaps a week ahead, overdue
    patrols, problem deadlines and their escalation."""
    return {"period": period, **services.operations_reminders_send(actor=content_services.system_actor())}
