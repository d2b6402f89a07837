"""Background tasks of reporting (see content.background)."""
from audit import services as audit_services
from content import services as content_services
from content.background import background_task
from reporting import services


@background_task
def dormant_sweep(*, period=""):
    """The daily job: tell account managers of accounts crossing the dormant
    thresholds (project/periodic.py)."""
    return {"period": period, **services.dormant_reminders_send(actor=content_services.system_actor())}


@background_task
def audit_checkpoint(*, period=""):
    """The periodic checkpoint (project/periodic.py, every AUDIT_CHECKPOINT_MINUTES): sign the
    audit log's tree when entries were added since the last checkpoint."""
    checkpoint = audit_services.checkpoint_sign(actor=content_services.system_actor(), only_if_grown=True)
    return {"period": period, "tree_size": checkpoint.tree_size if checkpoint else None}
