"""Background tasks of reporting (see content.background)."""
from content import services as content_services
from content.background import background_task
from reporting import services


@background_task
def dormant_sweep(*, period=""):
    """The daily job: tell account managers of accounts crossing the dormant
    thresholds (project/periodic.py)."""
    return {"period": period, **services.dormant_reminders_send(actor=content_services.system_actor())}
