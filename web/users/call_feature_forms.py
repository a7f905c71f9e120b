"""The "Call features" section of the Extensions and Users pages. The rules are the services'."""

from django import forms

from directory.users.call_features.fields import LIST_SEPARATOR
from directory.users.call_features.rules import FIELDS

# In the order the section shows them: call waiting (a field the pages had) joins its neighbours.
SECTION = ("dnd", "callwaiting", *FIELDS[1:])
TITLE = "Call features"


def section_fields(model_fields: dict[str, forms.Field]) -> dict[str, forms.Field]:
    """The section's fields, from the model's; the follow-me list one number a line."""
    fields = {name: model_fields[name] for name in SECTION}
    numbers = fields["followme_list"]
    numbers.widget = forms.Textarea(attrs={"rows": 3, "inputmode": "tel", "autocomplete": "off"})
    numbers.help_text = (
        "One number a line: a user's extension (their phones ring) or an outside number, dialled "
        "as the user's own phone would dial it. FreePBX marks outside numbers with a final #."
    )
    return fields


def section_initial(user) -> dict:
    """What the section shows for a saved user: the list one number a line."""
    return {"followme_list": "\n".join(e for e in user.followme_list.split(LIST_SEPARATOR) if e)}
