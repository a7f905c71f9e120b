import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterisk.render.conf import ConfInjectionError, Section, format_file, format_section, parse_conf
from web.testing.strategies import typed_text


def test_the_writer_refuses_a_line_break_that_validation_missed():
    for value in ("a\nb", "a\rb", "a\x00b"):
        with pytest.raises(ConfInjectionError):
            format_section(Section("1000", [("context", value)]))


def test_the_writer_refuses_a_section_name_or_key_that_could_break_the_file():
    for name in ("10]\n[evil", "", "a b", "x;y"):
        with pytest.raises(ConfInjectionError):
            format_section(Section(name, []))
    for key in ("Type", "a=b", "a\nb", "", "x y"):
        with pytest.raises(ConfInjectionError):
            format_section(Section("1000", [(key, "v")]))


def test_semicolons_are_escaped_and_read_back_literally():
    text = format_file([Section("1000", [("secret", "a;b;;c"), ("context", "x")])])
    assert parse_conf(text).get("1000") == [("secret", "a;b;;c"), ("context", "x")]


def test_the_parser_reads_comments_includes_and_arrows_as_asterisk_does():
    parsed = parse_conf(
        "; top comment\n#include extra.conf\n[a]\nkey=value ; trailing\nother = spaced \n"
        ";;;;;;[5]\nchannel=>5\n"
    )
    assert parsed.includes == ["extra.conf"]
    assert parsed.get("a") == [("key", "value"), ("other", "spaced"), ("channel", "5")]
    assert parse_conf(";;;;;;[5]\nchannel=>5\n", commented_headers=True).get("5") == [("channel", "5")]


def test_the_parser_refuses_what_asterisk_would_misread():
    with pytest.raises(ValueError, match="unclosed"):
        parse_conf("[a\nkey=value\n")
    with pytest.raises(ValueError, match="without '='"):
        parse_conf("[a]\njust words\n")


def test_a_value_asterisk_would_read_as_key_arrow_value_is_refused():
    with pytest.raises(ConfInjectionError, match="starts with '>'"):
        format_section(Section("1000", [("secret", ">Abcd1234")]))
    text = format_section(
        Section("1", [("channel", ">5")], commented_header=True, arrow_keys=frozenset({"channel"}))
    )
    assert parse_conf(text, commented_headers=True).get("1") == [("channel", ">5")]


names = st.one_of(st.from_regex(r"[A-Za-z0-9_.@+-]{1,12}", fullmatch=True), typed_text)
keys = st.one_of(st.sampled_from(["secret", "context", "callerid", "channel", "type"]), typed_text)
# Values as the renderer hands them over: already stripped by each setting's clean.
values = typed_text.map(str.strip)


@pytest.mark.slow
@settings(max_examples=1000)
@given(
    name=names,
    items=st.lists(st.tuples(keys, values), max_size=4),
    commented=st.booleans(),
    arrow=st.booleans(),
)
def test_the_writer_refuses_or_writes_what_reads_back_exactly(name, items, commented, arrow):
    """The second guard on its own: whatever reaches it, the file has exactly the
    section, keys and values given, or the writer refuses."""
    section = Section(
        name, items, commented_header=commented, arrow_keys=frozenset({"channel"} if arrow else ())
    )
    try:
        text = format_file([section])
    except ConfInjectionError:
        return
    parsed = parse_conf(text, commented_headers=commented)
    assert [s.name for s in parsed.sections] == [name]
    assert parsed.sections[0].items == items
