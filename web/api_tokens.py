"""The API tokens page: a person makes and revokes their own tokens; administrators anyone's."""

import secrets

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken
from api.tokens import token_create, token_revoke
from portal.roles import can_edit, people_with_a_role
from web.forms import add_service_errors
from web.pages import viewer_required

# How long a form's `once` is remembered as sent: longer than anyone reloads a page.
_SENT_FOR = 24 * 3600


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. HR onboarding.")
    # One token per form shown: reloading the page that shows a new token sends the form
    # again, which must not make a second token nobody ever sees.
    once = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, for_anyone: bool, me=None, **kwargs):
        super().__init__(*args, **kwargs)
        if for_anyone:
            self.fields["person"] = forms.ModelChoiceField(
                # A token of someone with no PBX role could only ever be refused; "Me" is the blank.
                people_with_a_role().exclude(pk=getattr(me, "pk", None)).order_by("username"),
                required=False,
                empty_label="Me",
                help_text="Administrators may make a token for someone else; it acts with that person's role.",
            )


@viewer_required
@require_http_methods(["GET", "POST"])
def token_index(request):
    admin = can_edit(request.user)
    form = TokenForm(request.POST or None, for_anyone=admin, me=request.user)
    made = None
    if request.method == "POST" and form.is_valid():
        # One atomic add: of two sends of the same form (a reload, a double click) one wins.
        if not cache.add(f"api-token-form:{form.cleaned_data['once']}", 1, timeout=_SENT_FOR):
            messages.info(request, "That form was already sent: its token is in the list (shown only once).")
            return redirect("api_tokens")
        owner = form.cleaned_data.get("person") or request.user
        try:
            token, raw = token_create(user=owner, name=form.cleaned_data["name"], created_by=request.user)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            form = TokenForm(for_anyone=admin, me=request.user)
            made = {"token": raw, "row": token}
    if not form.is_bound or made or form.errors:
        form = _with_once(form)
    tokens = ApiToken.objects.select_related("user")
    if not admin:
        tokens = tokens.filter(user=request.user)
    response = render(
        request, "api/tokens.html", {"form": form, "tokens": tokens[:500], "made": made, "admin": admin}
    )
    # The page may hold a token in clear (once): never cached.
    response["Cache-Control"] = "no-store"
    return response


def _with_once(form: TokenForm) -> TokenForm:
    """The form as it is shown, with a value that lets it be sent once."""
    once = secrets.token_urlsafe(16)
    data = form.data.copy() if form.is_bound else None
    if data is not None:
        data["once"] = once
        form.data = data
    else:
        form.initial["once"] = once
    return form


@viewer_required
@require_POST
def token_revoke_page(request, token_id):
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id)
    if token.user_id != request.user.pk and not can_edit(request.user):
        raise PermissionDenied("Only its owner or an administrator may revoke a token.")
    token_revoke(token=token)
    messages.success(request, f"Token pbx_{token.prefix}… ({token.name}) revoked: it no longer works.")
    return redirect("api_tokens")
