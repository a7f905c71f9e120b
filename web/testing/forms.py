"""Test helper: post a form back as a browser would."""


def form_data(form) -> dict:
    """Every field of an unbound form with its current value, as a browser would submit it."""
    data = {}
    for field_name in form.fields:
        value = form[field_name].value()
        if value is None or value is False:
            continue
        data[field_name] = "on" if value is True else value
    return data


def form_post_data(response, name: str = "form") -> dict:
    return form_data(response.context[name])
