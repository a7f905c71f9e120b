import os

from django.core.wsgi import get_wsgi_application

from pbxadmin.var import prepare

prepare()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
application = get_wsgi_application()
