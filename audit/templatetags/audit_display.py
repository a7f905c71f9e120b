"""The Audit page's filter: an entry's changes in an administrator's words."""

from django import template

from audit.display import readable_changes

register = template.Library()
register.filter("readable_changes", readable_changes)
