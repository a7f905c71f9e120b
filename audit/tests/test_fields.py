"""What the audit records of an object's fields."""


def test_a_json_value_reads_the_same_whatever_the_order_of_its_keys():
    # PostgreSQL's jsonb gives a value's keys back in its own order: a route saved and read back
    # must not look changed.
    from audit.fields import _plain

    assert _plain([{"prepend": "", "match": "X."}]) == _plain([{"match": "X.", "prepend": ""}])
    assert _plain({"b": {"y": 1, "x": 2}, "a": 1}) == _plain({"a": 1, "b": {"x": 2, "y": 1}})
