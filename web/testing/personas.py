"""The people the page tests log in as: an administrator, a viewer, and someone with no PBX role."""

import secrets

from django.contrib.auth.models import Group, User

from portal.roles import ADMINISTRATORS, VIEWERS, ensure_roles


def make_persona(role: str | None, username: str) -> User:
    # The test database has the roles from its migrate (and from the flush of a transactional
    # test, which runs post_migrate again); made here only if a test removed them.
    if Group.objects.filter(name__in=(ADMINISTRATORS, VIEWERS)).count() != 2:
        ensure_roles()
    user = User.objects.create_user(username, password=secrets.token_urlsafe())
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def administrator() -> User:
    return make_persona(ADMINISTRATORS, "alice-admin")


def viewer() -> User:
    return make_persona(VIEWERS, "victor-viewer")


def no_role() -> User:
    return make_persona(None, "nora-norole")
