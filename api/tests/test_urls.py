"""What is not an API URL answers in JSON, and says when only the closing slash is missing (api/urls.py)."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_url_without_its_closing_slash_says_so(admin_api):
    response = admin_api.post("/api/v1/extensions", {"extension": "1000"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"].endswith("'/': /api/v1/extensions/")
    assert admin_api.get("/api/v1/nothing-here/").json() == {"detail": "Not found."}
