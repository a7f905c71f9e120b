"""The user choice on forms: a number typed with suggestions, not a menu of every user.

A menu of 10,000 users is unusable and slow to render; the input suggests
matching users from /users/search/ (static/js/pbxadmin.js fills the
datalist) and the server checks that the number names a user.
"""

from django import forms
from django.urls import reverse_lazy
from django.utils.html import format_html

from directory.users.models import PbxUser


class UserSearchInput(forms.TextInput):
    """A text input tied to a datalist that the page's script fills as the administrator types."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": "Extension, or type a name",
                **(attrs or {}),
            }
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id', name)}-choices"
        widget_attrs["data-user-search"] = str(reverse_lazy("user_search"))
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}-choices"
        return format_html('{}<datalist id="{}"></datalist>', html, list_id)


class UserChoiceField(forms.CharField):
    """Cleans to a PbxUser (or None when left empty and not required)."""

    widget = UserSearchInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.pk if isinstance(value, PbxUser) else value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        # A picked suggestion "1000 Ann Smith" names user 1000; a name alone, the one user of that name.
        first = text.split()[0]
        if first.isdigit():
            user = PbxUser.objects.filter(pk=first).first()
            if user is None:
                raise forms.ValidationError(f"There is no user {first}.", code="no_user")
            return user
        named = list(PbxUser.objects.filter(name__iexact=text)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            raise forms.ValidationError(
                f"Several users are called {text}: pick one from the list, or type the extension.",
                code="ambiguous_user",
            )
        raise forms.ValidationError(
            f"No user is called {text}: type the extension, or pick a name from the list.", code="no_user"
        )
