"""What the API tests share: the extensions resource, and making one extension through it."""

EXT = "/api/v1/extensions/"


def make_extension(api, number="1000", **fields):
    body = {"extension": number, "name": f"Person {number}", "tech": "pjsip", **fields}
    response = api.post(EXT, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()
