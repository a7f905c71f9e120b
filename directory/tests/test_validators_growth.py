"""Every check of typed text takes time in proportion to the text, never to its square.

The caller-ID pattern once had two quantifiers that could both take the same spaces: an
80 KB CSV cell took 13.6 s to check and held the GIL all that while. Each check here is
timed on a hostile input of two sizes, and judged by the ratio (eight times the input may
take at most three times eight as long: a quadratic check takes sixty-four times).
The inputs are the worst each pattern meets: long runs of what its quantifiers share,
and no match at the end, so every way of splitting the text is tried.
"""

import pytest

from bulk.csvfile import detect_delimiter
from directory.endpoints.models import split_networks
from directory.techs import spec
from directory.users.mailboxes import mailbox_email, mailbox_name, mailbox_options, normalise_options
from directory.users.models import PbxUser, accountcode_chars, language_code, voicemail_context
from directory.validators import (
    CALLERID,
    callerid_format,
    conf_safe,
    digits_only,
    no_control_characters,
    secret_strength,
)
from web.testing.timing import growth, quietly

# Each check timed at two sizes (seconds each): make test-all runs them.
pytestmark = pytest.mark.slow

SMALL, LARGE = 2_000, 16_000
# Eight times the input; a linear check stays well under three times that.
LIMIT = 3 * LARGE / SMALL

CHECKS = {
    # The caller ID pattern itself, beyond any length a field allows.
    "callerid pattern, unquoted name of spaces": (CALLERID.fullmatch, lambda n: "a" + " " * n + "x"),
    "callerid pattern, quoted name then spaces": (CALLERID.fullmatch, lambda n: '"a"' + " " * n + "x"),
    "callerid pattern, spaces then a number": (CALLERID.fullmatch, lambda n: " " * n + "<1>x"),
    "callerid check": (quietly(callerid_format), lambda n: "a" + " " * n + "x"),
    "caller ID field": (
        quietly(PbxUser._meta.get_field("outboundcid").run_validators),
        lambda n: "a" + " " * n + "x",
    ),
    "control characters": (quietly(no_control_characters), lambda n: "a" * n),
    "conf safe": (quietly(conf_safe), lambda n: "a" * n),
    "secret": (quietly(secret_strength), lambda n: "a1" * n + " "),
    "digits": (quietly(digits_only), lambda n: "1" * n + "x"),
    "voicemail context": (quietly(voicemail_context), lambda n: "a" * n + "!"),
    "language": (quietly(language_code), lambda n: "a" * n + "!"),
    "account code": (quietly(accountcode_chars), lambda n: "a" * n + "!"),
    "mailbox e-mail": (quietly(mailbox_email), lambda n: "a" * n + "@"),
    "mailbox options": (quietly(mailbox_options), lambda n: "attach=yes|" * (n // 11) + "x"),
    "mailbox options, one long value": (quietly(mailbox_options), lambda n: "a=" + "b" * n),
    "mailbox name": (mailbox_name, lambda n: "a, " * (n // 3)),
    "options in a file": (normalise_options, lambda n: "a|, " * (n // 4)),
    "setting: context": (quietly(spec.context), lambda n: "a" * n + "!"),
    "setting: host": (quietly(spec.host), lambda n: "a" * n + "!"),
    "setting: named groups": (quietly(spec.named_groups), lambda n: "a," * (n // 2) + "!"),
    "setting: mailbox": (quietly(spec.mailbox_override), lambda n: "1@a," * (n // 4) + "!"),
    "setting: user name": (quietly(spec.sip_user), lambda n: "a" * n + "!"),
    "setting: call groups": (quietly(spec.call_groups), lambda n: "1," * (n // 2) + "x"),
    "setting: codecs": (quietly(spec.codecs), lambda n: "ulaw&" * (n // 5) + "x"),
    "local networks": (split_networks, lambda n: "a ," * (n // 3)),
    "a file's separator": (detect_delimiter, lambda n: '"a,;' * (n // 4)),
}


@pytest.mark.parametrize("name", CHECKS)
def test_a_check_takes_time_in_proportion_to_its_input(name):
    check, make = CHECKS[name]
    ratio = growth(check, make, SMALL, LARGE)
    assert ratio < LIMIT, f"{name}: 8x the input took {ratio:.0f}x the time"
