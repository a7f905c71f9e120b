"""The Audit page (administrators): the log, filtered and paged, and its CSV export."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.forms import EntryFilterForm
from audit.selectors import CSV_COLUMNS, entry_list, entry_rows, with_parts
from bulk.csvfile import write_table
from web.listing import paginate
from web.pages import admin_required


def _filtered(request):
    form = EntryFilterForm(request.GET or None)
    return form, entry_list(**form.filters())


@admin_required
def entry_index(request):
    form, entries = _filtered(request)
    query = request.GET.copy()
    query.pop("page", None)
    page = paginate(request, entries)
    page.object_list = with_parts(page.object_list)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "retention_days": settings.AUDIT_RETENTION_DAYS,
    }
    return render(request, "audit/entry_list.html", context)


@admin_required
def entry_export(request):
    """The filtered view as CSV, every cell neutralised against spreadsheet formulas."""
    _, entries = _filtered(request)
    response = StreamingHttpResponse(write_table(CSV_COLUMNS, entry_rows(entries)), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
