"""The API's docs page (api/views/docs.py): a portal page, behind the login."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_docs_page_sends_a_stranger_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_docs_page_links_back_to_the_portal(administrator_client):
    page = administrator_client.get("/api/docs/").content.decode()
    assert 'href="/"' in page and 'href="/api-tokens/"' in page and 'id="swagger-ui"' in page
