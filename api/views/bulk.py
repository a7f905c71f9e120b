"""Bulk import jobs (upload and check, confirm, progress, result) and CSV export, as the Bulk pages."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, renderers, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api.base import ApiView, Pages
from api.errors import ERRORS, NOT_FOUND
from api.permissions import AdministratorsOnly
from bulk.csvfile import CsvFileError, decode
from bulk.exporting import export_devices, export_extensions, export_users
from bulk.jobs import job_create, job_progress
from bulk.models import ImportJob
from bulk.tasks import job_start


class ImportJobOut(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "kind",
            "filename",
            "status",
            "replace",
            "counts",
            "problems",
            "rows",
            "ignored",
            "created_by",
            "created_at",
            "finished_at",
            "progress",
        )

    def get_progress(self, job) -> dict[str, int]:
        """{status, done, total, percent, finished}: the import's progress while it runs."""
        return job_progress(job)


class ImportUpload(serializers.Serializer):
    file = serializers.FileField(help_text="FreePBX Bulk Handler CSV, UTF-8.")
    kind = serializers.ChoiceField(ImportJob.Kind.values, default=ImportJob.Kind.EXTENSIONS)


class ImportConfirm(serializers.Serializer):
    existing = serializers.ChoiceField(
        ["replace", "skip"], default="replace", help_text="What to do with rows whose number exists."
    )


CONFLICT = {409: OpenApiResponse(OpenApiTypes.OBJECT, description="The job is not waiting for confirmation.")}


@extend_schema_view(
    get=extend_schema(summary="Recent import jobs", responses={200: ImportJobOut, **ERRORS}),
    post=extend_schema(
        summary="Upload a CSV file: it is checked (a dry run) and kept until confirmed",
        request={"multipart/form-data": ImportUpload},
        responses={201: ImportJobOut, **ERRORS},
    ),
)
class ImportList(ApiView, generics.ListCreateAPIView):
    permission_classes = [AdministratorsOnly]
    pagination_class = Pages
    serializer_class = ImportJobOut
    queryset = ImportJob.objects.defer("text").select_related("created_by")

    def create(self, request):
        upload = ImportUpload(data=request.data)
        upload.is_valid(raise_exception=True)
        uploaded = upload.validated_data["file"]
        try:
            text = decode(uploaded.read())
        except CsvFileError as e:
            raise ValidationError({"file": [str(e)]}) from None
        job, report = job_create(
            kind=upload.validated_data["kind"],
            filename=uploaded.name or "upload.csv",
            text=text,
            replace=True,
            created_by=request.user,
        )
        if report.file_error:
            raise ValidationError({"file": [report.file_error]})
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
    responses={202: ImportJobOut, **ERRORS, **NOT_FOUND, **CONFLICT},
)
class ImportConfirmView(ApiView, generics.GenericAPIView):
    permission_classes = [AdministratorsOnly]
    serializer_class = ImportConfirm

    def post(self, request, job_id):
        job = get_object_or_404(ImportJob.objects.defer("text"), pk=job_id)
        confirm = ImportConfirm(data=request.data)
        confirm.is_valid(raise_exception=True)
        if job.status != ImportJob.Status.PREVIEWED:
            return Response(
                {
                    "non_field_errors": [
                        f"This job is {job.get_status_display().lower()}: it cannot be confirmed."
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        job_start(job=job, replace=confirm.validated_data["existing"] == "replace")
        job.refresh_from_db()
        return Response(ImportJobOut(job).data, status=status.HTTP_202_ACCEPTED)


class CsvRenderer(renderers.BaseRenderer):
    """Lets a client ask for text/csv; the export streams its own response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


KINDS = ["extensions", "users", "devices"]


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
        with_secrets = self.include_secrets()
        if kind == "users":
            chunks = export_users(with_pins=with_secrets)
        elif kind == "devices":
            chunks = export_devices(with_secrets=with_secrets)
        else:
            chunks = export_extensions(
                search=query.validated_data.get("q", ""), with_secrets=with_secrets, with_pins=with_secrets
            )
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
        response["Cache-Control"] = "no-store"
        return response
