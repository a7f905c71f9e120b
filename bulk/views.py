"""Bulk import (upload, preview, confirm, progress, result) and export screens."""

from django.contrib import messages
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from bulk.csvfile import CsvFileError, decode
from bulk.exporting import export_devices, export_extensions, export_users
from bulk.forms import ConfirmForm, ExportForm, UploadForm
from bulk.jobs import job_create, job_progress, job_report, job_start
from bulk.models import ImportJob
from portal.mode import pbx_mode
from portal.pages import admin_required, check_can_edit, viewer_required


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
            text = decode(uploaded.read())
        except CsvFileError as e:
            form.add_error("file", str(e))
        else:
            job, report = job_create(
                kind=form.cleaned_data["kind"],
                filename=uploaded.name,
                text=text,
                replace=True,
                created_by=request.user,
            )
            if report.file_error:
                form.add_error("file", report.file_error)
            else:
                return redirect("bulk_preview", job_id=job.pk)
    recent = ImportJob.objects.defer("text").select_related("created_by")[:10]
    return render(request, "bulk/upload.html", {"form": form, "recent": recent, "export_form": ExportForm()})


@admin_required
def preview(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    return render(
        request, "bulk/preview.html", {"job": job, "report": job_report(job), "form": ConfirmForm()}
    )


@admin_required
@require_POST
def start(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id, status=ImportJob.Status.PREVIEWED)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with existing rows.")
        return redirect("bulk_preview", job_id=job.pk)
    job_start(job=job, replace=form.cleaned_data["existing"] == "replace")
    return redirect("bulk_progress", job_id=job.pk)


@admin_required
def progress(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    if request.headers.get("Accept") == "application/json" or request.GET.get("format") == "json":
        return JsonResponse(job_progress(job))
    return render(request, "bulk/progress.html", {"job": job, "state": job_progress(job)})


@admin_required
def result(request, job_id):
    job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
    return render(request, "bulk/result.html", {"job": job})


@viewer_required
def export(request):
    form = ExportForm(request.GET or None)
    kind = request.GET.get("kind", "extensions")
    with_secrets = (
        form.is_valid() and form.cleaned_data["secrets"] and request.user.has_perm("users.change_pbxuser")
    )
    if kind == "users":
        chunks = export_users(with_secrets=with_secrets)
    elif kind == "devices":
        chunks = export_devices(with_secrets=with_secrets)
    else:
        kind = "extensions"
        search = form.cleaned_data["q"] if form.is_valid() else ""
        chunks = export_extensions(search=search, with_secrets=with_secrets)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    response["Cache-Control"] = "no-store"
    return response
