"""The README's API walk-through, run as written (curl against a live server): the docs work."""

import re
import subprocess
from pathlib import Path

import pytest

from api.tokens import token_create
from audit.models import Entry
from directory.devices.models import Device
from directory.users.models import PbxUser
from web.testing import personas

README = Path(__file__).resolve().parents[2] / "README.md"


def _walkthrough() -> str:
    section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_readme_api_walkthrough_runs_as_written(live_server):
    script = _walkthrough()
    assert "TOKEN=pbx_…" in script and "API=http://127.0.0.1:8000/api/v1" in script
    _, token = token_create(user=personas.administrator(), name="README")
    script = script.replace("TOKEN=pbx_…", f"TOKEN={token}").replace(
        "API=http://127.0.0.1:8000/api/v1", f"API={live_server.url}/api/v1"
    )
    # Every call must succeed: curl fails on an HTTP error, and so does the script.
    wrapper = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n'
    result = subprocess.run(["bash", "-c", wrapper + script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert PbxUser.objects.get(pk="2001").name == "Ada Lovelace"
    shared = Device.objects.get(pk="3001")
    assert shared.devicetype == "adhoc" and shared.user_id == shared.default_user_id
    assert Entry.objects.filter(action="logged_in", object_id="3001").exists()
    # Step 2 asked for the generated secret back.
    assert Device.objects.get(pk="2001").endpoint.settings["secret"] in result.stdout
