"""The Servers page: the Asterisk servers the portal drives, each with its state, and the forms to
add, change, remove one and make one the default. Thin: every rule is the services'
(`directory/servers/services.py`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api.server_serializers import server_states
from directory.servers.models import Server
from directory.servers.selectors import server_list
from directory.servers.services import server_create, server_delete, server_set_default, server_update
from portal.roles import can_edit
from web.forms import read_only_for, submit
from web.pages import admin_required, check_can_edit, viewer_required
from web.servers.forms import ServerForm


@viewer_required
def server_index(request):
    servers = list(server_list())
    states = server_states(servers)
    rows = [(server, states.get(server.pk)) for server in servers]
    return render(request, "servers/server_list.html", {"rows": rows, "several": len(servers) > 1})


@viewer_required
@require_GET
def server_states_json(request):
    """`{"servers": {id: the state mark}}`: the list's marks as the page draws them, for the script
    that keeps them current (static/js/pbxadmin.js) while the page stays open."""
    servers = list(server_list())
    states = server_states(servers)
    context = {"can_edit": can_edit(request.user)}
    marks = {
        str(s.pk): render_to_string("servers/_state.html", {**context, "state": states.get(s.pk)})
        for s in servers
    }
    response = JsonResponse({"servers": marks})
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def server_add(request):
    form = ServerForm(request.POST or None)
    if request.method == "POST" and (server := submit(form, server_create)):
        messages.success(
            request,
            f"Server {server.name} added. Start its worker: celery -A pbxadmin worker -Q {server.queue}",
        )
        return redirect("server_index")
    return render(request, "servers/server_form.html", {"form": form})


@viewer_required
@require_http_methods(["GET", "POST"])
def server_edit(request, server_id):
    server = get_object_or_404(Server, pk=server_id)
    form = read_only_for(request.user, ServerForm(request.POST or None, server=server))
    if request.method == "POST":
        check_can_edit(request)
        if saved := submit(form, server_update, server=server):
            messages.success(request, f"Server {saved.name} saved.")
            return redirect("server_edit", server_id=saved.pk)
    counts = server_list().get(pk=server.pk)
    context = {
        "form": form,
        "server": server,
        "counts": counts,
        "state": server_states([server]).get(server.pk),
    }
    return render(request, "servers/server_form.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def server_remove(request, server_id):
    server = get_object_or_404(Server, pk=server_id)
    if request.method == "POST":
        try:
            server_delete(server=server)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return redirect("server_index")
        messages.success(request, f"Server {server.name} removed.")
        return redirect("server_index")
    return render(request, "servers/server_delete.html", {"server": server})


@admin_required
@require_POST
def server_make_default(request, server_id):
    server = get_object_or_404(Server, pk=server_id)
    server_set_default(server=server)
    messages.success(request, f"Server {server.name} is now the default: new users and devices land on it.")
    return redirect("server_index")
