"""The People page (administrators): the portal's accounts, their role, added and deactivated here."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.people import (
    ROLE_CHOICES,
    VIEWER,
    person_create,
    person_list,
    person_set_active,
    person_set_role,
    role_of,
)
from web.forms import submit
from web.pages import admin_required


class PersonForm(forms.Form):
    username = forms.CharField(label="Login name", max_length=150, help_text="What they type to log in.")
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=VIEWER, widget=forms.RadioSelect)
    password = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to generate one: it is shown once, to pass on. They can change it under Password.",
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def _page(request, form, made=None):
    people = [(p, role_of(p)) for p in person_list()]
    response = render(
        request, "people.html", {"form": form, "people": people, "made": made, "roles": ROLE_CHOICES}
    )
    # May hold a generated password in clear (once): never cached.
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def person_index(request):
    form = PersonForm(request.POST or None)
    made = None
    if request.method == "POST" and (created := submit(form, person_create)):
        person, generated = created
        made = {"person": person, "password": generated}
        messages.success(request, f"{person.get_username()} added as {dict(ROLE_CHOICES)[role_of(person)]}.")
        form = PersonForm()
    return _page(request, form, made)


def _person(pk):
    return get_object_or_404(get_user_model(), pk=pk)


def _apply(request, change, done: str):
    try:
        change()
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, done)
    return redirect("people")


@admin_required
@require_POST
def person_role(request, pk):
    person, role = _person(pk), request.POST.get("role", "")
    label = dict(ROLE_CHOICES).get(role, role)
    return _apply(
        request,
        lambda: person_set_role(person=person, role=role),
        f"{person.get_username()} is now a {label}.",
    )


@admin_required
@require_POST
def person_active(request, pk):
    person, active = _person(pk), request.POST.get("active") == "1"
    done = (
        "can log in again"
        if active
        else "is deactivated: they can no longer log in, nor use their API tokens"
    )
    return _apply(
        request,
        lambda: person_set_active(person=person, active=active, by=request.user),
        f"{person.get_username()} {done}.",
    )
