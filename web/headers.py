"""The Content-Security-Policy: the portal's own origin only, no inline script or style.

Django 5.2 has no CSP of its own; this adds one header to every response that
does not set its own. Bootstrap's CSS draws its small icons (select arrows,
close buttons, the menu toggler) from `data:` images, hence `img-src data:`.
The other security headers come from Django's SecurityMiddleware (nosniff,
Referrer-Policy) and XFrameOptionsMiddleware.
"""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
