"""The sync as a Celery task, and how to ask for one.

A burst of saves asks many times but claims one run (SyncStatus.claim); the
run takes everything pending, then asks again if more arrived meanwhile.
"""

from celery import shared_task
from django.conf import settings

from asterisk import runner, sync
from asterisk.ami import AmiUnavailable
from asterisk.models import SyncChange, SyncStatus


@shared_task(
    bind=True,
    autoretry_for=(AmiUnavailable,),
    retry_backoff=2,
    retry_backoff_max=settings.PBXADMIN_SYNC_BACKOFF_MAX,
    retry_jitter=False,
    max_retries=None,  # Asterisk will come back; the backoff is what is bounded.
)
def sync_asterisk(self) -> dict:
    """Write pending files, push pending AstDB changes and reloads to Asterisk."""
    result = sync.run_requested()
    # More work may have arrived meanwhile. Files alone are not a reason: their
    # write just failed or they belong to a save whose own request follows.
    request_sync(files_too=False)
    return {"actions": result.actions, "reloads": result.reloads, "warnings": result.warnings}


def request_sync(*, force: bool = False, files_too: bool = True) -> bool:
    """Ask for a sync run unless one is already asked for; return whether this call asked."""
    pending = SyncChange.objects.all() if files_too else SyncChange.objects.exclude(kind=SyncChange.Kind.FILE)
    if not force and not pending.exists():
        return False
    if not SyncStatus.claim(force=force):
        return False
    if runner.mode() != "manual":
        runner.run_in_background(
            sync_asterisk, countdown=settings.PBXADMIN_SYNC_DELAY, on_give_up=SyncStatus.release
        )
    return True
