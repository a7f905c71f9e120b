"""What an audit entry says about an object: its type, its fields, and which of them are secret.

Fields are read from the model (and an endpoint's settings from its technology),
so a field added later is recorded without touching this file. What is secret
on an object is its app's to say: at start-up it registers the names
(`register_secret_names`; the directory registers a technology's secret settings
and the user's PINs, from `directory/secrets.py`). On any model (a person's
password hash) a field whose name or label is a password, PIN or secret counts as one too.
A secret is recorded as "changed", never with its value.
"""

import functools
import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from audit.models import ObjectType

OBJECT_TYPES = {
    "users.pbxuser": ObjectType.USER,
    "devices.device": ObjectType.DEVICE,
    "endpoints.endpoint": ObjectType.ENDPOINT,
    "portal.portalsettings": ObjectType.SETTINGS,
    "endpoints.sipsettings": ObjectType.SETTINGS,
    "auth.user": ObjectType.PERSON,
    "auth.group": ObjectType.GROUP,
    "bulk.importjob": ObjectType.IMPORT,
    "api.apitoken": ObjectType.API_TOKEN,
    "connectivity.trunk": ObjectType.TRUNK,
    "connectivity.outboundroute": ObjectType.OUTBOUND_ROUTE,
    "connectivity.inboundroute": ObjectType.INBOUND_ROUTE,
    "servers.server": ObjectType.SERVER,
}

_SECRET_WORDS = ("password", "passwd", "pin", "secret")
# Noise, not changes: timestamps Django keeps itself, and the folded copies of names kept for
# searching (directory/folding.py).
_SKIPPED = frozenset({"last_login", "name_folded", "description_folded"})


# label_lower -> the names (fields, or an endpoint's settings) its app says are secret.
_SECRET_NAMES: dict[str, frozenset[str]] = {}


def register_secret_names(label: str, names) -> None:
    """The app that owns model `label` (e.g. "users.pbxuser") says which of its names are secret."""
    _SECRET_NAMES[label] = _SECRET_NAMES.get(label, frozenset()) | frozenset(names)
    _is_secret.cache_clear()


def object_type(obj) -> str:
    return OBJECT_TYPES.get(obj._meta.label_lower, ObjectType.OTHER)


def object_id(obj) -> str:
    return str(obj.pk if obj.pk is not None else "")


def looks_secret(*names: str) -> bool:
    """A name or label such as `password`, `vm_pin`, `voicemail PIN`, `md5secret`."""
    words = (w for name in names for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w)
    return any(w.endswith(_SECRET_WORDS) for w in words)


def is_secret(obj, name: str) -> bool:
    return _is_secret(obj._meta.label_lower, name)


@functools.lru_cache(maxsize=4096)
def _is_secret(label: str, name: str) -> bool:
    if name in _SECRET_NAMES.get(label, ()):
        return True
    try:
        field = apps.get_model(label)._meta.get_field(name)
    except FieldDoesNotExist:
        return looks_secret(name)
    return looks_secret(name, getattr(field, "verbose_name", ""))


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict | list | tuple):
        # A JSON field's value as text, its keys in one order: PostgreSQL's jsonb gives them back
        # in its own, and the same value must read the same before and after a change.
        return str(_keys_sorted(value))
    return str(value)


def _keys_sorted(value):
    if isinstance(value, dict):
        return {k: _keys_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_keys_sorted(v) for v in value]
    return value


def values_of(obj) -> dict[str, object]:
    """The fields an administrator sets, as JSON values (a foreign key as its id)."""
    if object_type(obj) == ObjectType.ENDPOINT:
        return {k: _plain(v) for k, v in (obj.settings or {}).items()}
    fields, many = _recorded_fields(type(obj))
    values = {name: _plain(getattr(obj, attname)) for name, attname in fields}
    if obj.pk is not None:
        for name in many:
            values[name] = sorted(str(o) for o in getattr(obj, name).all())
    return values


@functools.cache
def _recorded_fields(model) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(name, attname) of the concrete fields worth recording, and the many-to-many names."""
    fields = tuple(
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if not (f.primary_key or f.name in _SKIPPED or getattr(f, "auto_now", False))
        and not getattr(f, "auto_now_add", False)
    )
    return fields, tuple(f.name for f in model._meta.many_to_many)


@functools.lru_cache(maxsize=1024)
def recorded_field(kind: str, name: str) -> models.Field | None:
    """The model field an entry of this object type recorded as `name`; None for an
    endpoint setting, a field since removed, or an entry's own counts (an import's)."""
    if kind == ObjectType.ENDPOINT:  # its changes are its settings (`values_of`), not the model's fields
        return None
    for label, object_kind in OBJECT_TYPES.items():
        if object_kind != kind:
            continue
        # Portal settings are two models (the mode; the SIP settings): the one that has the field.
        try:
            return apps.get_model(label)._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None
