"""Pages (and the Django admin) act as the logged-in person."""

from audit import actors


class AuditActorMiddleware:
    """After AuthenticationMiddleware: everything recorded during the request is done by its user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with actors.acting(actors.portal(request)):
            return self.get_response(request)
