"""A mailbox line that passes validation reads back as exactly the five fields stored."""

from django.core.exceptions import ValidationError
from hypothesis import given

from asterisk.render import voicemail
from asterisk.render.conf import ConfInjectionError, parse_conf
from directory.users.mailboxes import mailbox_email, mailbox_name, mailbox_options
from web.testing.strategies import typed_text as text


@given(pin=text, name=text, email=text, pager=text, options=text)
def test_a_mailbox_line_that_passes_validation_reads_back_as_its_five_fields(
    pin, name, email, pager, options
):
    try:
        if not pin.isascii() or not pin.isdigit():
            raise ValidationError("pin")
        for address in (email, pager):
            if address:
                mailbox_email(address)
        mailbox_options(options)
    except ValidationError:
        return
    try:
        line = voicemail.mailbox_line("2001", pin, name, email, pager, options)
    except ConfInjectionError:
        return  # the writer's own guard: refused, never written
    parsed = parse_conf(f"[default]\n{line}\n")
    assert parsed.section_names() == ["default"]
    [(key, value)] = parsed.get("default")
    assert key == "2001"
    assert value.split(",") == [pin, mailbox_name(name), email, pager, options]
    assert all(option.count("=") == 1 for option in options.split("|") if options)
