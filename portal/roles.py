"""The two roles of the portal, as Django groups: administrators edit, viewers only read.

Created (and kept up to date) after every migrate. Superusers can do everything.
"""

from django.contrib.auth.models import Group, Permission

ADMINISTRATORS = "PBX administrators"
VIEWERS = "PBX viewers"

# (app_label, model) the portal manages.
_MODELS = [
    ("users", "pbxuser"),
    ("devices", "device"),
    ("endpoints", "endpoint"),
    ("asterisk", "syncstatus"),
    ("portal", "portalsettings"),
]

EDIT_PERMISSION = "users.change_pbxuser"
VIEW_PERMISSION = "users.view_pbxuser"


def ensure_roles(**kwargs) -> None:
    """Create both groups with their permissions (idempotent)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for label in {app for app, _ in _MODELS}:
        create_permissions(apps.get_app_config(label), verbosity=0)
    wanted = set(_MODELS)
    candidates = Permission.objects.filter(content_type__app_label__in={a for a, _ in _MODELS})
    perms = [
        p
        for p in candidates.select_related("content_type")
        if (p.content_type.app_label, p.content_type.model) in wanted
    ]
    admins, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    admins.permissions.set(perms)
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.set([p for p in perms if p.codename.startswith("view_")])


def can_edit(user) -> bool:
    return user.has_perm(EDIT_PERMISSION)


def can_view(user) -> bool:
    return user.has_perm(VIEW_PERMISSION)


def people_with_a_role():
    """Active accounts that can at least view the PBX (superusers, members of either group)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[ADMINISTRATORS, VIEWERS]))
        .distinct()
    )
