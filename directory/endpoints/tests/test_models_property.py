"""Whatever is typed into the SIP and PJSIP settings is refused or written harmlessly."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from asterisk.render import transports
from asterisk.render.conf import parse_conf
from directory.endpoints.models import SipSettings
from directory.endpoints.services import sip_settings_update
from web.testing.strategies import typed_text as text

pytestmark = pytest.mark.django_db

SIP_TEXT_FIELDS = [
    "external_address",
    "local_networks",
    "tls_cert_file",
    "sip_bind_address",
    "pjsip_bind_address",
]


@pytest.mark.slow
@pytest.mark.parametrize("field", SIP_TEXT_FIELDS)
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=text)
def test_any_sip_settings_value_is_refused_or_harmless(
    field, value, conf_dir, django_capture_on_commit_callbacks
):
    sid = transaction.savepoint()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                sip_settings_update(**{field: value})
            except ValidationError as e:
                assert e.messages and all(m.strip() for m in e.messages)
                return
        sip = SipSettings.get()
        general = parse_conf((conf_dir / transports.SIP_GENERAL).read_text())
        assert general.section_names() == [], "lines only: the file sits inside sip.conf's [general]"
        assert (conf_dir / transports.PJSIP_TRANSPORTS).read_text() == transports.render_pjsip_transports(sip)
        names = parse_conf((conf_dir / transports.PJSIP_TRANSPORTS).read_text()).section_names()
        assert set(names) == transports.pjsip_transport_names(sip)
    finally:
        transaction.savepoint_rollback(sid)
        for path in conf_dir.glob("*.conf"):
            path.unlink()
