"""The Audit page's filter: an entry's changes in an administrator's words."""

from django import template

from web.audit.display import readable_changes, readable_operation

register = template.Library()
register.filter("readable_changes", readable_changes)
register.filter("readable_operation", readable_operation)
