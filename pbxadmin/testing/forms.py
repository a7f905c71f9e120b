"""Test helper: post a form back as a browser would."""


def form_post_data(response, name: str = "form") -> dict:
    """Every field of the page's form with its current value, as a browser would submit it."""
    form = response.context[name]
    data = {}
    for field_name in form.fields:
        value = form[field_name].value()
        if value is None or value is False:
            continue
        data[field_name] = "on" if value is True else value
    return data
