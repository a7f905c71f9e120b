"""Celery tasks: thin wrappers that own the retries and call the sync."""

from celery import shared_task
from django.conf import settings

from pbxadmin.ami import AmiUnavailable
from pbxadmin.asterisk import run_requested_sync


@shared_task(
    bind=True,
    autoretry_for=(AmiUnavailable,),
    retry_backoff=2,
    retry_backoff_max=settings.PBXADMIN_SYNC_BACKOFF_MAX,
    retry_jitter=False,
    max_retries=None,  # Asterisk will come back; the backoff is what is bounded.
)
def sync_asterisk(self) -> dict:
    """Push pending AstDB changes and reloads to Asterisk."""
    result = run_requested_sync()
    return {"actions": result.actions, "reloads": result.reloads, "warnings": result.warnings}
