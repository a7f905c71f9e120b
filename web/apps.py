from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages: views, forms, template tags and the Django admin's registrations. No models."""

    name = "web"
    verbose_name = "Pages"
