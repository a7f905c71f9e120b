import os

from django.core.wsgi import get_wsgi_application

from pbxadmin.var import prepare

prepare()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
application = get_wsgi_application()

# A web server keeps running: background work may run in its threads (see asterisk.runner).
from asterisk import runner  # noqa: E402 (after Django is set up)

runner.serving()
