"""The audit log (administrators), filtered as on the Audit page."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from api.base import ApiView, Pages
from api.errors import ERRORS, NO_SUCH_PAGE
from api.permissions import AdministratorsOnly
from audit.forms import EntryFilterForm
from audit.models import Action, Entry, ObjectType
from audit.selectors import entry_list, with_parts


class PartOut(serializers.ModelSerializer):
    """One object an operation touched, and its changes."""

    changes = serializers.DictField(
        child=serializers.JSONField(),
        read_only=True,
        help_text='{field: [before, after]} for each field of this object that changed, a secret\'s as "changed".',
    )

    class Meta:
        model = Entry
        fields = ("object_type", "object_id", "object_repr", "action", "changes")


class EntryOut(serializers.ModelSerializer):
    """One operation: its first object's fields (as one entry per object read before), and
    `objects`, every object it touched (that one included) with its own changes."""

    changes = serializers.DictField(
        child=serializers.JSONField(),
        read_only=True,
        help_text='{field: [before, after]} for each field a change changed, a secret\'s as "changed"; '
        "other entries keep their own figures here (a purge of old entries: deleted, days).",
    )
    objects = PartOut(source="parts", many=True, read_only=True)

    class Meta:
        model = Entry
        fields = (
            "id",
            "at",
            "via",
            "person",
            "detail",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "objects",
        )


class AuditQuery(serializers.Serializer):
    """For the schema: the Audit page's filters (audit/forms.py reads them, here as there)."""

    type = serializers.MultipleChoiceField(
        choices=ObjectType.values, required=False, help_text="Object types."
    )
    id = serializers.CharField(max_length=64, required=False, help_text="The object's id (a number).")
    person = serializers.CharField(
        max_length=150, required=False, help_text="A portal account or OS user, exactly."
    )
    action = serializers.ChoiceField(Action.values, required=False)
    since = serializers.DateField(required=False, help_text="From this day on.")
    until = serializers.DateField(required=False, help_text="Up to this day, included.")


@extend_schema(
    summary="Audit entries, newest first",
    parameters=[AuditQuery],
    responses={200: EntryOut, **ERRORS, **NO_SUCH_PAGE},
)
class AuditList(ApiView, generics.ListAPIView):
    permission_classes = [AdministratorsOnly]
    pagination_class = Pages
    serializer_class = EntryOut

    def get_queryset(self):
        form = EntryFilterForm(self.request.query_params)
        if self.request.query_params and not form.is_valid():
            raise ValidationError(
                {name: [e["message"] for e in errs] for name, errs in form.errors.get_json_data().items()}
            )
        return entry_list(**form.filters())

    def paginate_queryset(self, queryset):
        return with_parts(super().paginate_queryset(queryset))
