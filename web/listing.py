"""What every list page shares: its filters as one small form, numbered pages and a page size.

Each list declares its filters as a `ListFilters` subclass (search, technology,
fixed/adhoc, and later the phone state); the view hands the cleaned values to
its selector as keyword arguments, and the template renders the same form.
"""

from django import forms
from django.core.paginator import Page, Paginator

from directory.devices.models import DeviceType, Tech
from directory.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES
from directory.servers.selectors import several
from web.servers.fields import server_filter


class ListFilters(forms.Form):
    """Search, sort and page size; subclasses add their own filters beside these."""

    q = forms.CharField(required=False, max_length=80, label="Search")
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    per_page = forms.TypedChoiceField(
        choices=[(n, f"{n} a page") for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PAGE_SIZE,
        label="Page size",
    )
    # Kept by the phone status (asterisk/selectors.py::only_down), not by the list's selector.
    state = forms.ChoiceField(
        choices=[("", "All phones"), ("down", "Unregistered or unreachable")], required=False, label="Phones"
    )

    # Whether the list offers the server filter (users and devices), shown while there are several.
    by_server = False

    def __init__(self, data, *, default_sort: str, placeholder: str = "Number or name"):
        # The page size shown selected is the one in use, also when the URL does not say it.
        data = data.copy()
        data.setdefault("per_page", str(DEFAULT_PAGE_SIZE))
        super().__init__(data)
        if self.by_server and several():
            self.fields["server"] = server_filter()
        self.default_sort = default_sort
        self.fields["q"].widget.attrs.update(placeholder=placeholder, type="search")

    def values(self) -> dict:
        """The cleaned filters; anything unreadable falls back to "no filter" rather than an error page."""
        if not self.is_valid():
            return {"q": "", "sort": self.default_sort, "per_page": DEFAULT_PAGE_SIZE, "state": ""}
        values = dict(self.cleaned_data)
        values["sort"] = values["sort"] or self.default_sort
        return values

    def selector_kwargs(self) -> dict:
        """What the selector takes: search, sort and every filter with a value."""
        values = self.values()
        kwargs = {"search": values.pop("q"), "sort": values.pop("sort")}
        values.pop("per_page")
        values.pop("state", None)
        values.pop("server", None)
        kwargs.update({k: v for k, v in values.items() if v})
        return kwargs

    def phone_state(self) -> str:
        return self.values().get("state", "")

    def server(self) -> str:
        """The server filter's value (a server's name), applied by `directory.servers.selectors.on_server`."""
        return self.values().get("server", "")

    @property
    def servers_shown(self) -> bool:
        """Whether the list has a Server column (there are several servers)."""
        return "server" in self.fields

    @property
    def active(self) -> bool:
        values = self.values()
        return bool(values.get("q")) or any(
            values.get(name) for name in self.fields if name not in ("q", "sort", "per_page")
        )


def tech_filter(*, none: str = "") -> forms.ChoiceField:
    """`none`: the label of the choice "none" (no device), on the lists that offer it."""
    choices = [("", "All technologies"), *Tech.choices]
    if none:
        choices.append(("none", none))
    return forms.ChoiceField(choices=choices, required=False, label="Technology")


def type_filter() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[("", "Fixed and adhoc"), *DeviceType.choices], required=False, label="Device type"
    )


def paginate(request, queryset, *, per_page: int = DEFAULT_PAGE_SIZE) -> Page:
    """One page, with `page.numbers`: first, …, neighbours, …, last (None stands for a gap)."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    page.numbers = [
        None if n == Paginator.ELLIPSIS else n
        for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return page
