import pytest

from endpoints.conf import ConfInjectionError, Section, format_file, format_section, parse_conf


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


def test_call_groups_take_ascii_numbers_0_to_63_only():
    from django.core.exceptions import ValidationError

    from endpoints.spec import call_groups

    assert call_groups("1,3-5,63") == "1,3-5,63"
    for bad in ("¹", "64", "1-2-3", "a", "1,,2", "٣"):
        with pytest.raises(ValidationError):
            call_groups(bad)
