"""Hypothesis strategies for what an administrator (or a CSV file) might type.

Plain text of any kind, plus pieces that mean something to Asterisk's config
parser, its dialplan or AMI (line breaks, NUL, `;`, `[`, `=>`, `${…}`, `&`),
glued together so that the dangerous characters land at the start, the middle
and the end of a value.
"""

from hypothesis import strategies as st

NASTY = [
    "\n", "\r\n", "\x00", "\r", ";", "\\;", "[", "]", "=", "=>", ">", "#include /etc/passwd", "\n[evil]\ntype=endpoint",
    "a;b", "ab12\\", "\"", "'", "${EXTEN}", ",", "&", " ", "\t", "é", "\u2028", "0.0.0.0/0", "all", "ulaw&alaw",
    "yes", "no", "1", "60", "Abcd1234", "from-internal", "2001", "<5551234>",
]  # fmt: skip

typed_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join),
    st.tuples(st.sampled_from(NASTY), st.text(max_size=8), st.sampled_from(NASTY)).map("".join),
)

# The characters a value must never smuggle into a config file or an AMI action.
LINE_BREAKS_AND_NUL = "\r\n\x00"

# Values that pass at least one check, so a dangerous piece next to them meets
# the checks' later branches, not only the first refusal.
VALID_SAMPLES = (
    "Abcd1234efgh", "from-internal", "dynamic", "yes", "1", "60", "2001", "ulaw,alaw", "0.0.0.0/0",
    "udp,tcp", "en", "default", "Alice", '"Sales" <5551234>', "SIP/joe@example.com", "1,3-5",
)  # fmt: skip


def dangerous_variants(*valid: str):
    """Every dangerous piece alone, and before, inside and after each valid value."""
    for piece in NASTY:
        yield piece
        for value in dict.fromkeys(valid):
            if value:
                yield piece + value
                yield value + piece
                yield value[:1] + piece + value[1:]
