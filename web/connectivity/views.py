"""The Connectivity pages: trunks (with their registration), outbound routes (in order) and
inbound routes (most specific first), each with a config preview. Thin: every rule is the
services' (`directory/connectivity/services.py`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asterisk.boundary import (
    inbound_route_preview,
    outbound_route_preview,
    trunk_preview,
    trunk_registration_states,
)
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk, TrunkTech
from directory.connectivity.selectors import inbound_route_list, outbound_route_list, trunk_list
from directory.connectivity.services import (
    inbound_route_create,
    inbound_route_delete,
    inbound_route_update,
    outbound_route_create,
    outbound_route_delete,
    outbound_route_update,
    outbound_routes_reorder,
    trunk_create,
    trunk_delete,
    trunk_update,
)
from web.connectivity.forms import InboundRouteForm, OutboundRouteForm, TrunkForm, submit_with_sections
from web.forms import read_only_for
from web.pages import admin_required, check_can_edit, viewer_required

# --- Trunks -----------------------------------------------------------------


@viewer_required
def trunk_index(request):
    trunks = list(trunk_list())
    states = trunk_registration_states(trunks)
    rows = [(trunk, states.get(trunk.pk)) for trunk in trunks]
    return render(request, "connectivity/trunk_list.html", {"rows": rows})


@viewer_required
@require_GET
def trunk_states(request):
    """`{"trunks": {id: the registration mark}}`: the list's marks as the page draws them, for the
    script that keeps them current (static/js/pbxadmin.js) while the page stays open."""
    trunks = list(trunk_list())
    states = trunk_registration_states(trunks)
    marks = {
        str(t.pk): render_to_string("connectivity/_registration.html", {"state": states.get(t.pk)})
        for t in trunks
    }
    response = JsonResponse({"trunks": marks})
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def trunk_add(request):
    tech = request.GET.get("tech", "")
    if tech not in TrunkTech.values:
        return render(request, "connectivity/trunk_tech.html", {"techs": TrunkTech.choices})
    form = TrunkForm(request.POST or None, tech=tech)
    if request.method == "POST" and (trunk := submit_with_sections(form, trunk_create)):
        messages.success(request, f"Trunk {trunk.name} created.")
        return redirect("trunk_edit", trunk_id=trunk.pk)
    return render(
        request, "connectivity/trunk_form.html", {"form": form, "tech_label": TrunkTech(tech).label}
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def trunk_edit(request, trunk_id):
    trunk = get_object_or_404(Trunk, pk=trunk_id)
    form = read_only_for(request.user, TrunkForm(request.POST or None, tech=trunk.tech, trunk=trunk))
    if request.method == "POST":
        check_can_edit(request)
        if submit_with_sections(form, trunk_update, trunk=trunk):
            messages.success(request, f"Trunk {trunk.name} saved.")
            return redirect("trunk_edit", trunk_id=trunk.pk)
    context = {
        "form": form,
        "trunk": trunk,
        "tech_label": trunk.get_tech_display(),
        "state": trunk_registration_states([trunk]).get(trunk.pk),
        "routes": list(trunk.routes.order_by("position")),
    }
    return render(request, "connectivity/trunk_form.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def trunk_remove(request, trunk_id):
    trunk = get_object_or_404(Trunk, pk=trunk_id)
    if request.method == "POST":
        try:
            trunk_delete(trunk=trunk)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return redirect("trunk_edit", trunk_id=trunk.pk)
        messages.success(request, f"Trunk {trunk.name} deleted.")
        return redirect("trunk_index")
    return render(request, "confirm_delete.html", {"what": f"trunk {trunk}", "cancel": "trunk_index"})


@viewer_required
def trunk_config(request, trunk_id):
    """The exact lines this trunk gets in each file, its secret masked for everyone."""
    trunk = get_object_or_404(Trunk, pk=trunk_id)
    files = trunk_preview(trunk.pk, secrets_shown=False)
    return render(request, "connectivity/preview.html", {"what": f"trunk {trunk.name}", "files": files})


# --- Outbound routes --------------------------------------------------------


@viewer_required
def outbound_index(request):
    routes = list(outbound_route_list())
    return render(request, "connectivity/outbound_list.html", {"routes": routes})


@admin_required
@require_POST
def outbound_move(request, outbound_id):
    """Move one route up or down the order (`direction`), through the reorder service."""
    order = list(outbound_route_list().values_list("pk", flat=True))
    if outbound_id not in order:
        return redirect("outbound_index")
    here = order.index(outbound_id)
    there = here - 1 if request.POST.get("direction") == "up" else here + 1
    if 0 <= there < len(order):
        order[here], order[there] = order[there], order[here]
        try:
            outbound_routes_reorder(routes=order)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
    return redirect("outbound_index")


@admin_required
@require_http_methods(["GET", "POST"])
def outbound_add(request):
    form = OutboundRouteForm(request.POST or None)
    if request.method == "POST" and (route := submit_with_sections(form, outbound_route_create)):
        messages.success(request, f"Outbound route {route.name} created.")
        return redirect("outbound_edit", outbound_id=route.pk)
    return render(request, "connectivity/outbound_form.html", {"form": form})


@viewer_required
@require_http_methods(["GET", "POST"])
def outbound_edit(request, outbound_id):
    route = get_object_or_404(OutboundRoute, pk=outbound_id)
    form = read_only_for(request.user, OutboundRouteForm(request.POST or None, route=route))
    if request.method == "POST":
        check_can_edit(request)
        if submit_with_sections(form, outbound_route_update, route=route):
            messages.success(request, f"Outbound route {route.name} saved.")
            return redirect("outbound_edit", outbound_id=route.pk)
    return render(request, "connectivity/outbound_form.html", {"form": form, "route": route})


@admin_required
@require_http_methods(["GET", "POST"])
def outbound_remove(request, outbound_id):
    route = get_object_or_404(OutboundRoute, pk=outbound_id)
    if request.method == "POST":
        outbound_route_delete(route=route)
        messages.success(request, f"Outbound route {route.name} deleted.")
        return redirect("outbound_index")
    return render(
        request, "confirm_delete.html", {"what": f"outbound route {route}", "cancel": "outbound_index"}
    )


@viewer_required
def outbound_config(request, outbound_id):
    route = get_object_or_404(OutboundRoute, pk=outbound_id)
    files = outbound_route_preview(route.pk, secrets_shown=False)
    return render(
        request, "connectivity/preview.html", {"what": f"outbound route {route.name}", "files": files}
    )


# --- Inbound routes ---------------------------------------------------------


@viewer_required
def inbound_index(request):
    return render(request, "connectivity/inbound_list.html", {"routes": inbound_route_list()})


@admin_required
@require_http_methods(["GET", "POST"])
def inbound_add(request):
    form = InboundRouteForm(request.POST or None)
    if request.method == "POST" and (route := submit_with_sections(form, inbound_route_create)):
        messages.success(request, f"Inbound route {route} created.")
        return redirect("inbound_edit", inbound_id=route.pk)
    return render(request, "connectivity/inbound_form.html", {"form": form})


@viewer_required
@require_http_methods(["GET", "POST"])
def inbound_edit(request, inbound_id):
    route = get_object_or_404(InboundRoute.objects.select_related("user"), pk=inbound_id)
    form = read_only_for(request.user, InboundRouteForm(request.POST or None, route=route))
    if request.method == "POST":
        check_can_edit(request)
        if submit_with_sections(form, inbound_route_update, route=route):
            messages.success(request, f"Inbound route {route} saved.")
            return redirect("inbound_edit", inbound_id=route.pk)
    return render(request, "connectivity/inbound_form.html", {"form": form, "route": route})


@admin_required
@require_http_methods(["GET", "POST"])
def inbound_remove(request, inbound_id):
    route = get_object_or_404(InboundRoute, pk=inbound_id)
    if request.method == "POST":
        inbound_route_delete(route=route)
        messages.success(request, f"Inbound route {route} deleted.")
        return redirect("inbound_index")
    return render(
        request, "confirm_delete.html", {"what": f"inbound route {route}", "cancel": "inbound_index"}
    )


@viewer_required
def inbound_config(request, inbound_id):
    route = get_object_or_404(InboundRoute, pk=inbound_id)
    files = inbound_route_preview(route.pk)
    return render(request, "connectivity/preview.html", {"what": f"inbound route {route}", "files": files})
