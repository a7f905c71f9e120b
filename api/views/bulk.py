"""Bulk import jobs (upload and check, confirm, progress, result) and CSV export, as the Bulk pages."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, renderers, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api.base import ApiView, Pages, parse
from api.errors import ERRORS, NO_SUCH_PAGE, NOT_FOUND, UNSUPPORTED
from api.parsers import UPLOADS
from api.permissions import AdministratorsOnly
from bulk import services
from bulk.exporting import EXPORT_KINDS
from bulk.importing import ACTIONS, MAX_PROBLEMS, MAX_ROWS_SHOWN
from bulk.jobs import job_progress
from bulk.models import ImportJob
from bulk.rows import WEAK_KEEP, WEAK_REGENERATE


class JobProgress(serializers.Serializer):
    status = serializers.CharField()
    phase = serializers.ChoiceField(["check", "import"])
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()
    failed = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)


# The check's findings as bulk.importing.Report keeps them (the job stores them as JSON).
# For the document: the answer holds them as stored.

# What each action means for a row, as the check page says it.
_ROWS = {
    "create": "Rows that make a new one.",
    "update": "Rows that change an existing one (Replace existing).",
    "unchanged": "Rows equal to what exists.",
    "skip": "Rows whose number exists, left as they are (Skip existing).",
    "error": "Rows refused.",
}
ImportCounts = inline_serializer(
    "ImportCounts",
    {
        **{action: serializers.IntegerField(required=False, help_text=_ROWS[action]) for action in ACTIONS},
        "total": serializers.IntegerField(required=False, help_text="Rows checked."),
    },
    help_text="Rows by what the import does with them; an action no row has is left out. "
    "Empty until the file is read.",
)

LEVELS = ["error", "warning"]


class ImportProblem(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file.")
    key = serializers.CharField(help_text="The row's number (extension or device id).")
    column = serializers.CharField()
    message = serializers.CharField()
    action = serializers.ChoiceField(ACTIONS)
    level = serializers.ChoiceField(LEVELS, help_text="An error refuses the row; a warning asks a choice.")


class ImportRow(serializers.Serializer):
    line = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    action = serializers.ChoiceField(ACTIONS)
    message = serializers.CharField(help_text="What the check says of the row, or blank.")
    level = serializers.ChoiceField(["", *LEVELS], help_text="Blank: nothing to say.")
    changes = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=3, max_length=3),
        help_text="[field, before, after] for each field an update changes (secrets masked).",
    )


def stored_json(schema, **kwargs) -> serializers.JSONField:
    """A JSON column answered as stored, declared in the document as `schema` (a class of its
    own each: the declaration is a class attribute, and fields are copied when bound)."""
    field_class = extend_schema_field(schema)(type("StoredJson", (serializers.JSONField,), {}))
    return field_class(read_only=True, **kwargs)


class ImportJobOut(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()
    counts = stored_json(ImportCounts)
    problems = stored_json(
        ImportProblem(many=True), help_text=f"Errors and warnings, row by row (the first {MAX_PROBLEMS})."
    )
    rows = stored_json(
        ImportRow(many=True),
        help_text=f"Each row as the check shows it (up to {MAX_ROWS_SHOWN} of each action).",
    )
    ignored = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The file's columns the import ignores."
    )

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "kind",
            "filename",
            "status",
            "replace",
            "checked_at",
            "error",
            "counts",
            "problems",
            "rows",
            "ignored",
            "created_by",
            "created_at",
            "finished_at",
            "progress",
        )

    @extend_schema_field(JobProgress)
    def get_progress(self, job) -> dict:
        """Where the check or the import is, as the progress page shows it."""
        return job_progress(job)


class ImportUpload(serializers.Serializer):
    file = serializers.FileField(help_text="FreePBX Bulk Handler CSV, UTF-8.")
    kind = serializers.ChoiceField(ImportJob.Kind.values, default=ImportJob.Kind.EXTENSIONS)
    existing = serializers.ChoiceField(
        ["skip", "replace"], default="skip", help_text="What the check assumes for rows whose number exists."
    )


class ImportConfirm(serializers.Serializer):
    """The page's confirmation: `bulk.services.import_confirm` judges these fields for both."""

    existing = serializers.ChoiceField(
        ["skip", "replace"], help_text="What to do with rows whose number exists."
    )
    weak_secrets = serializers.ChoiceField(
        [WEAK_KEEP, WEAK_REGENERATE],
        required=False,
        help_text="Asked when a row has a secret too weak for the strong rule.",
    )
    change_secrets = serializers.BooleanField(
        required=False,
        help_text="Asked when existing phones' secrets would change (they must be re-provisioned).",
    )


CONFLICT = {409: OpenApiResponse(OpenApiTypes.OBJECT, description="The job is not waiting for confirmation.")}


@extend_schema_view(
    get=extend_schema(summary="Recent import jobs", responses={200: ImportJobOut, **ERRORS, **NO_SUCH_PAGE}),
    post=extend_schema(
        summary="Upload a CSV file: it is checked (a dry run) and kept until confirmed",
        request={"multipart/form-data": ImportUpload},
        responses={201: ImportJobOut, **ERRORS, **UNSUPPORTED},
    ),
)
class ImportList(ApiView, generics.ListCreateAPIView):
    permission_classes = [AdministratorsOnly]
    parser_classes = UPLOADS
    pagination_class = Pages
    serializer_class = ImportJobOut
    queryset = ImportJob.objects.defer("text").select_related("created_by")

    def create(self, request):
        upload = parse(self, ImportUpload)
        job = services.import_upload(
            kind=upload["kind"],
            filename=upload["file"].name,
            content=upload["file"].read(),
            existing=upload["existing"],
            created_by=request.user,
        )
        job.refresh_from_db()
        return Response(ImportJobOut(job).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="An import job: its check, status, progress and result",
    responses={200: ImportJobOut, **ERRORS, **NOT_FOUND},
)
class ImportDetail(ApiView, generics.RetrieveAPIView):
    permission_classes = [AdministratorsOnly]
    serializer_class = ImportJobOut
    queryset = ImportJob.objects.defer("text").select_related("created_by")
    lookup_url_kwarg = "job_id"


@extend_schema(
    summary="Confirm a checked job: it is imported in the background (follow its progress)",
    request=ImportConfirm,
    responses={202: ImportJobOut, **ERRORS, **UNSUPPORTED, **NOT_FOUND, **CONFLICT},
)
class ImportConfirmView(ApiView, generics.GenericAPIView):
    permission_classes = [AdministratorsOnly]
    serializer_class = ImportConfirm

    def post(self, request, job_id):
        job = get_object_or_404(ImportJob, pk=job_id)
        if job.status != ImportJob.Status.PREVIEWED:
            return _not_waiting(job)
        confirm = parse(self, ImportConfirm)
        # A check that no longer holds (the database moved, it expired) starts again: read the new result.
        try:
            services.import_confirm(job=job, **confirm)
        except services.JobNotWaiting:
            return _not_waiting(job)
        job.refresh_from_db()
        return Response(ImportJobOut(job).data, status=status.HTTP_202_ACCEPTED)


def _not_waiting(job: ImportJob) -> Response:
    return Response({"non_field_errors": [str(services.JobNotWaiting(job))]}, status=status.HTTP_409_CONFLICT)


class CsvRenderer(renderers.BaseRenderer):
    """Lets a client ask for text/csv; the export streams its own response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


KINDS = list(EXPORT_KINDS)


class ExportQuery(serializers.Serializer):
    q = serializers.CharField(
        max_length=80, required=False, help_text="Extensions only: number prefix or name."
    )
    include_secrets = serializers.BooleanField(required=False, help_text="Administrators only: with secrets.")


@extend_schema(
    summary="Export as Bulk Handler CSV (imports back without loss)",
    parameters=[ExportQuery, OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=KINDS)],
    responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS, **NOT_FOUND},
)
class Export(ApiView):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    def get(self, request, kind):
        if kind not in KINDS:
            raise NotFound(f"Export one of: {', '.join(KINDS)}.")
        query = ExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data.get("q") and kind != "extensions":
            raise ValidationError({"q": ["Only the extensions export takes q."]})
        with_secrets = self.include_secrets()
        chunks = services.export(
            kind=kind, with_secrets=with_secrets, search=query.validated_data.get("q", "")
        )
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
        response["Cache-Control"] = "no-store"
        return response
