"""People: the portal's accounts and their role (PBX administrator or PBX viewer).

The People page calls these; each is one audited operation. Not the PBX's users
(the numbers people dial): those are `users/`. Superusers are managed in the
Django admin and left alone here.
"""

import secrets

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from audit import trail
from directory.errors import ErrorCollector
from portal.roles import ADMINISTRATORS, VIEWERS, ensure_roles

ADMINISTRATOR = "administrator"
VIEWER = "viewer"
ROLES = {ADMINISTRATOR: ADMINISTRATORS, VIEWER: VIEWERS}
ROLE_CHOICES = [(ADMINISTRATOR, "PBX administrator"), (VIEWER, "PBX viewer")]
# A generated first password: 16 characters from the CSPRNG, shown once.
GENERATED_BYTES = 12


def person_list() -> QuerySet:
    """Every account, with its groups, by login name."""
    return get_user_model().objects.prefetch_related("groups").order_by("username")


def role_of(person) -> str:
    """`superuser`, `administrator`, `viewer`, or "" (no PBX role: refused everywhere)."""
    if person.is_superuser:
        return "superuser"
    names = {g.name for g in person.groups.all()}
    if ADMINISTRATORS in names:
        return ADMINISTRATOR
    return VIEWER if VIEWERS in names else ""


def _administrators_left(without) -> bool:
    """Whether an active administrator (or superuser) other than `without` remains."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ADMINISTRATORS))
        .exclude(pk=without.pk)
        .exists()
    )


def _on(field: str, check, *args) -> None:
    """Run a check whose errors name no field, filing them under `field`."""
    try:
        check(*args)
    except ValidationError as e:
        raise ValidationError({field: e.error_list}) from None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError({"role": "Choose PBX administrator or PBX viewer."})


def _give_role(person, role: str) -> None:
    """The person's PBX role becomes `role`; groups other than the two roles stay."""
    ensure_roles()
    person.groups.remove(*Group.objects.filter(name__in=ROLES.values()))
    person.groups.add(Group.objects.get(name=ROLES[role]))


@transaction.atomic
@trail.operation()
def person_create(*, username: str, name: str = "", email: str = "", role: str, password: str = ""):
    """Add a person with a role. Without a password one is generated. Returns the person and the
    password to show once ("" when it was typed: the administrator knows it)."""
    User = get_user_model()
    username, name, email = username.strip(), " ".join(name.split()), email.strip()
    first, _, last = name.partition(" ")
    person = User(username=username, first_name=first, last_name=last, email=email, is_active=True)
    errors = ErrorCollector()
    errors.collect(person.full_clean, exclude=["password"], validate_unique=False)
    if username and User.objects.filter(username__iexact=username).exists():
        errors.add("username", ValidationError(f"The login name {username} is already taken.", code="taken"))
    errors.collect(_check_role, role)
    generated = "" if password else secrets.token_urlsafe(GENERATED_BYTES)
    if password:
        errors.collect(_on, "password", password_validation.validate_password, password, person)
    errors.raise_if_any()
    person.set_password(password or generated)
    person.save()
    _give_role(person, role)
    trail.created(person)
    return person, generated


def _refuse_superuser(person) -> None:
    if person.is_superuser:
        raise ValidationError(f"{person.get_username()} is a superuser: change them in the Django admin.")


@transaction.atomic
@trail.operation()
def person_set_role(*, person, role: str):
    """Make `person` a PBX administrator or a PBX viewer. The last administrator stays one."""
    _check_role(role)
    person = get_user_model().objects.select_for_update().get(pk=person.pk)
    _refuse_superuser(person)
    if role != ADMINISTRATOR and role_of(person) == ADMINISTRATOR and not _administrators_left(person):
        raise ValidationError("Nobody else could then change anything: make another administrator first.")
    before = trail.snapshot(person)
    _give_role(person, role)
    trail.changed(before, person)
    return person


@transaction.atomic
@trail.operation()
def person_set_active(*, person, active: bool, by):
    """Deactivate a person (they can no longer log in; their API tokens stop working), or
    activate them again. Nobody deactivates themselves, nor the last administrator."""
    person = get_user_model().objects.select_for_update().get(pk=person.pk)
    _refuse_superuser(person)
    if not active and person.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself: ask another administrator.")
    if not active and role_of(person) == ADMINISTRATOR and not _administrators_left(person):
        raise ValidationError("Nobody else could then change anything: make another administrator first.")
    before = trail.snapshot(person)
    person.is_active = active
    person.save(update_fields=["is_active"])
    trail.changed(before, person)
    return person
