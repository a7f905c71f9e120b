"""The OpenAPI document against the running app: schemathesis generates requests from it
(valid and invalid bodies, parameters and paths) and fails on any 5xx, or any answer whose
body or content type breaks the schema. CI runs it on SQLite and on PostgreSQL (`make test-all`)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.tests.conftest import client_for
from web.testing import personas

pytestmark = [pytest.mark.schema, pytest.mark.django_db]

# The document as /api/schema/ serves it (generated from the code; no database needed).
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """As Django's test client does: the WSGI app must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(settings, wsgi_in_test_transaction):
    # Many requests from one token in a few seconds: not a test of throttling.
    settings.PBXADMIN_API_RATE = settings.PBXADMIN_API_RATE_PER_PERSON = "100000/minute"
    return client_for(personas.administrator()).raw_token


@schema.parametrize()
@settings(
    # Bounded: about 4 requests per operation, the whole test in seconds.
    max_examples=4,
    deadline=None,
    derandomize=True,
    # No shrinking: a failure is reported as found (with its curl line), in seconds.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
