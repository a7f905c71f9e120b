"""The OpenAPI document and its browsable page (Swagger UI, served from static files: no CDN)."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication

from api.authentication import BearerTokenAuthentication
from api.permissions import ViewersReadAdministratorsWrite


class Schema(SpectacularAPIView):
    """For API clients (with their token) and for the docs page (with the portal session)."""

    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [ViewersReadAdministratorsWrite]


class Docs(SpectacularSwaggerSplitView):
    """A portal page (login required). The split view serves its start-up script as a file of its
    own (`?script`), and our template links a stylesheet instead of an inline <style>: the page
    runs under `default-src 'self'` with no inline script or style, so it needs no policy of its own."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [ViewersReadAdministratorsWrite]
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
    title = "pbxadmin API"
