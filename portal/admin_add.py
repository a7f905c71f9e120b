"""An admin "Add" page that picks a technology and creates through a service (extensions, devices)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from devices.models import Tech
from portal.forms import submit


class ServiceAddMixin:
    """For a ModelAdmin: its Add page uses `add_form` (built for a technology) and `add_service`."""

    add_form = None
    add_service = None
    add_title = ""

    def add_sections(self, form) -> list[tuple[str, list[str]]]:
        return [("General", form.general_fields), ("Device options", form.device_fields)]

    def add_done_message(self, obj) -> str:
        return f"{obj} created."

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        tech = request.GET.get("tech", Tech.PJSIP)
        if tech not in Tech.values:
            tech = Tech.PJSIP
        form = self.add_form(request.POST or None, tech=tech)
        if request.method == "POST" and (obj := submit(form, type(self).add_service)):
            messages.success(request, self.add_done_message(obj))
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": self.add_title,
            "form": form,
            "tech": tech,
            "techs": Tech.choices,
            "sections": self.add_sections(form),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/pbx_form.html", context)
