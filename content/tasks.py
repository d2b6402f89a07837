"""Background tasks of the content app (see content.background)."""
from content import services
from content.background import background_task


@background_task
def purge_work_in_progress(*, period=""):
    """Delete expired autosaved work in progress (a daily job of project/periodic.py).
    Idempotent: what is expired once stays deleted."""
    return {"period": period, "deleted": services.work_in_progress_purge()}
