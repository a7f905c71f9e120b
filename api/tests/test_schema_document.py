"""The OpenAPI document says what the API does: one body type per operation, every parameter and
answer declared with its type. A client generated from it relies on each of these."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from api.tests.helpers import make_extension

DOCUMENT = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = DOCUMENT["components"]["schemas"]
OPERATIONS = [
    (path, method, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in ("get", "post", "patch", "delete")
]
WRITES_WITH_ANSWERS_OF_SECRETS = [
    ("/api/v1/extensions/", "post"),
    ("/api/v1/extensions/{extension}/", "patch"),
    ("/api/v1/users/", "post"),
    ("/api/v1/users/{extension}/", "patch"),
    ("/api/v1/devices/", "post"),
    ("/api/v1/devices/{device_id}/", "patch"),
    ("/api/v1/devices/{device_id}/login/", "post"),
    ("/api/v1/devices/{device_id}/logout/", "post"),
    ("/api/v1/trunks/", "post"),
    ("/api/v1/trunks/{trunk_id}/", "patch"),
    ("/api/v1/outbound-routes/", "post"),
    ("/api/v1/outbound-routes/{outbound_id}/", "patch"),
    ("/api/v1/outbound-routes/order/", "post"),
]


def _component(ref: str) -> dict:
    return COMPONENTS[ref.removeprefix("#/components/schemas/")]


def test_every_body_is_json_but_an_uploads():
    bodies = {
        (path, method): set(operation["requestBody"]["content"])
        for path, method, operation in OPERATIONS
        if "requestBody" in operation
    }
    assert bodies.pop(("/api/v1/imports/", "post")) == {"multipart/form-data"}
    assert bodies and all(types == {"application/json"} for types in bodies.values()), bodies
    for path, method in bodies:
        assert "415" in DOCUMENT["paths"][path][method]["responses"], (path, method)


@pytest.mark.parametrize(("path", "method"), WRITES_WITH_ANSWERS_OF_SECRETS)
def test_include_secrets_is_declared_wherever_it_works(path, method):
    names = {p["name"] for p in DOCUMENT["paths"][path][method].get("parameters", []) if p["in"] == "query"}
    assert "include_secrets" in names


def test_answers_declare_the_secrets_they_may_carry_as_optional():
    for name in ("ExtensionOut", "UserOut"):
        schema = COMPONENTS[name]
        for secret in ("password", "vm_pin"):
            assert schema["properties"][secret]["type"] == "string", (name, secret)
            assert secret not in schema["required"], "present only with include_secrets"


def test_a_trunks_secret_and_a_routes_pin_are_optional_in_answers_and_write_only():
    for name, secret in (("TrunkOut", "secret"), ("OutboundRouteOut", "pin")):
        schema = COMPONENTS[name]
        assert schema["properties"][secret]["type"] == "string"
        assert secret not in schema["required"], "present only with include_secrets"
    assert COMPONENTS["TrunkOut"]["properties"]["dial_rules"]["items"]["$ref"].endswith("/DialRule")
    assert COMPONENTS["OutboundRouteOut"]["properties"]["patterns"]["items"]["$ref"].endswith("/DialPattern")


def test_the_import_jobs_findings_are_typed():
    job = COMPONENTS["ImportJobOut"]["properties"]
    counts = _component(job["counts"]["allOf"][0]["$ref"])
    assert {k: v["type"] for k, v in counts["properties"].items()} == dict.fromkeys(
        ("create", "update", "unchanged", "skip", "error", "total"), "integer"
    )
    problem = _component(job["problems"]["items"]["$ref"])
    assert {"line", "key", "column", "message", "action", "level"} == set(problem["required"])
    row = _component(job["rows"]["items"]["$ref"])
    assert row["properties"]["changes"]["items"]["items"] == {"type": "string"}
    assert job["ignored"]["items"] == {"type": "string"}


def test_what_waits_to_be_synced_declares_each_count():
    pending = COMPONENTS["SyncPending"]
    assert set(pending["required"]) == {"extensions", "users", "devices", "files", "reloads", "total"}
    assert all(p == {"type": "integer"} for p in pending["properties"].values())


def _untyped(schema) -> bool:
    return isinstance(schema, dict) and not (
        {"type", "$ref", "allOf", "oneOf", "anyOf", "enum"} & set(schema)
    )


def test_no_answer_field_is_left_untyped():
    """A field declared as anything at all gives a client nothing to work with."""
    untyped = [
        f"{name}.{field}"
        for name, component in COMPONENTS.items()
        for field, schema in component.get("properties", {}).items()
        if _untyped(schema) or (schema.get("type") == "array" and _untyped(schema.get("items")))
    ]
    assert untyped == []


def test_every_list_declares_the_404_of_a_page_past_its_last(admin_api):
    make_extension(admin_api)
    lists = [
        path for path, method, op in OPERATIONS if method == "get" and "page" in str(op.get("parameters"))
    ]
    assert len(lists) == 10  # servers/ too
    for path in lists:
        assert "404" in DOCUMENT["paths"][path]["get"]["responses"], path
        assert admin_api.get(f"{path}?page=999").status_code == 404, path


def test_the_call_features_are_typed_fields_and_the_follow_me_list_a_list_of_numbers():
    for name in (
        "ExtensionOut",
        "UserOut",
        "ExtensionInRequest",
        "PatchedExtensionChangeRequest",
        "UserInRequest",
    ):
        properties = COMPONENTS[name]["properties"]
        assert properties["followme_list"]["type"] == "array", name
        assert properties["followme_list"]["items"]["type"] == "string", name
        assert properties["dnd"]["type"] == "boolean", name
        assert properties["cf"]["type"] == "string", name
        assert "FollowmeStrategyEnum" in str(properties["followme_strategy"]), name
    assert set(COMPONENTS["FollowmeStrategyEnum"]["enum"]) >= {"ringallv2", "ringall", "hunt"}
