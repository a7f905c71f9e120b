"""Bulk import (upload, check, confirm, progress, result) and export screens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from bulk import services
from bulk.exporting import EXPORT_KINDS
from bulk.jobs import check_expired, checks_expire, job_progress, job_report
from bulk.models import ImportJob
from directory.servers.selectors import several
from portal.mode import pbx_mode
from portal.roles import can_edit
from web.bulk.forms import ConfirmForm, ExportForm, UploadForm
from web.forms import add_service_errors, submit
from web.pages import admin_required, check_can_edit, viewer_required

Status = ImportJob.Status


@viewer_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """Upload a file to import (administrators), and export (everyone)."""
    mode = pbx_mode()
    form = UploadForm(request.POST or None, request.FILES or None, mode=mode)
    if request.method == "POST":
        check_can_edit(request)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                kind=form.cleaned_data["kind"],
                filename=uploaded.name,
                content=uploaded.read(),
                existing=form.cleaned_data["existing"],
                created_by=request.user,
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("bulk_progress", job_id=job.pk)
    recent = ImportJob.objects.defer("text").select_related("created_by")[:10]
    for job in recent:
        job.expired = job.status == Status.PREVIEWED and check_expired(job)
    context = {"form": form, "recent": recent, "export_form": ExportForm(), "several_servers": several()}
    return render(request, "bulk/upload.html", context)


def _preview(request, job, form=None, *, status=200):
    report = job_report(job)
    form = form or ConfirmForm(report=report, replace=job.replace)
    show = request.GET.get("show", "")
    rows = [r for r in report.rows if r["action"] == show or (show == "warning" and r["level"] == "warning")]
    context = {
        "job": job,
        "report": report,
        "form": form,
        "show": show,
        "rows": rows if show else report.rows,
        "rechecked": (job.findings or {}).get("rechecked", ""),
    }
    return render(request, "bulk/preview.html", context, status=status)


@admin_required
def preview(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    if job.status == Status.PREVIEWED and check_expired(job) and checks_expire(job.pk):
        job.refresh_from_db()  # expired unconfirmed: failed, its file deleted
    if job.status != Status.PREVIEWED:
        return redirect(_next_url(job))
    return _preview(request, job)


@admin_required
@require_POST
def start(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.status != Status.PREVIEWED:
        messages.info(request, "This file was already confirmed: here is where it is.")
        return redirect(_next_url(job))
    form = ConfirmForm(request.POST, report=job_report(job), replace=job.replace)
    try:
        outcome = submit(form, services.import_confirm, job=job)
    except services.JobNotWaiting:
        outcome = ""  # confirmed meanwhile (a second click)
    if outcome is None:
        return _preview(request, job, form, status=400)
    if not outcome:
        messages.info(request, "This file was already confirmed: here is where it is.")
    return redirect("bulk_progress", job_id=job.pk)


def _next_url(job: ImportJob) -> str:
    if job.status == Status.PREVIEWED:
        return reverse("bulk_preview", args=[job.pk])
    if job.status in (Status.DONE, Status.FAILED):
        return reverse("bulk_result", args=[job.pk])
    return reverse("bulk_progress", args=[job.pk])


@admin_required
def progress(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    state = job_progress(job)
    state["next"] = _next_url(job)
    if request.headers.get("Accept") == "application/json" or request.GET.get("format") == "json":
        return JsonResponse(state)
    return render(request, "bulk/progress.html", {"job": job, "state": state})


@admin_required
def result(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    if job.status == Status.PREVIEWED:
        return redirect("bulk_preview", job_id=job.pk)
    return render(request, "bulk/result.html", {"job": job, "state": job_progress(job)})


@viewer_required
def export(request):
    form = ExportForm(request.GET or None)
    kind = request.GET.get("kind", "extensions")
    # Secrets (device secrets, hot-desk PINs) only for an administrator who asks.
    with_secrets = form.is_valid() and form.cleaned_data["secrets"] and can_edit(request.user)
    if kind not in EXPORT_KINDS:
        kind = "extensions"
    search = form.cleaned_data["q"] if form.is_valid() else ""
    chunks = services.export(kind=kind, with_secrets=with_secrets, search=search)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    response["Cache-Control"] = "no-store"
    return response
