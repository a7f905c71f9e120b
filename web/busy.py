"""Pages and phones stay answerable while a bulk import holds SQLite's one write lock.

SQLite lets one connection write at a time, and an import writes all its rows in
one transaction (all or nothing). A page's save or a phone's hot-desk login
waits for the lock at most PBXADMIN_SQLITE_REQUEST_WAIT seconds (not the 20 of
the workers), then gets a clear "try again" instead of a server error; a page's
form is offered again with what was typed. PostgreSQL locks rows, so there a save
of another extension does not wait at all.
"""

import logging

from django.http import JsonResponse
from django.shortcuts import render

from directory.busy import BUSY, RETRY_AFTER, is_locked, wait_briefly

log = logging.getLogger(__name__)


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wait_briefly()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_locked(exception):
            return None
        log.warning(
            "%s %s: the database stayed busy (an import?): %s", request.method, request.path, exception
        )
        message = BUSY
        if request.headers.get("Accept") == "application/json":
            response = JsonResponse({"error": message}, status=503)
        else:
            posted = [
                (name, value)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
                for value in values
            ]
            response = render(
                request,
                "busy.html",
                {"message": message, "posted": posted, "action": request.path},
                status=503,
            )
        response["Retry-After"] = RETRY_AFTER
        return response
