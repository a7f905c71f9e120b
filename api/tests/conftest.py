"""API clients holding a bearer token of an administrator, a viewer, or someone with no PBX role."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.tokens import token_create
from web.testing import personas


def client_for(person) -> APIClient:
    _, raw = token_create(user=person, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_token = raw
    return client


def _persona(make, username: str):
    """The same person as the page fixtures' (administrator_client, viewer_client) when a test has both."""
    return User.objects.filter(username=username).first() or make()


@pytest.fixture
def admin_api(db):
    return client_for(_persona(personas.administrator, "alice-admin"))


@pytest.fixture
def viewer_api(db):
    return client_for(_persona(personas.viewer, "victor-viewer"))


@pytest.fixture
def norole_api(db):
    return client_for(_persona(personas.no_role, "nora-norole"))


@pytest.fixture
def anonymous_api():
    return APIClient()
