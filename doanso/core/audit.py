"""History: every create/update records who, when, and the old → new values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise

from .models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, Promise):  # lazy translations (choice labels) are not JSON
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Display values of `fields` (foreign keys as their text) for a later diff."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.is_relation:
            data[name] = str(getattr(obj, name)) if getattr(obj, field.attname) is not None else None
        else:
            data[name] = _plain(getattr(obj, name))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def target_type(obj: models.Model) -> str:
    return obj._meta.label_lower


def _event(
    *, actor: Any, obj: models.Model, action: str, changes: dict | None = None, summary: str = "", note: str = ""
) -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        target_type=target_type(obj),
        target_id=obj.pk,
        action=action,
        changes={
            k: [_plain(x) for x in v] if isinstance(v, list | tuple) else _plain(v) for k, v in (changes or {}).items()
        },
        summary=summary[:300],
        note=note,
    )


def record(
    *, actor: Any, obj: models.Model, action: str, changes: dict | None = None, summary: str = "", note: str = ""
) -> AuditEvent:
    event = _event(actor=actor, obj=obj, action=action, changes=changes, summary=summary, note=note)
    event.save()
    return event


def record_many(*, actor: Any, entries: Iterable[tuple[models.Model, str, dict | None, str]]) -> None:
    """The same as `record` for many rows at once: (obj, action, changes, note) each, one INSERT."""
    AuditEvent.objects.bulk_create(
        [
            _event(actor=actor, obj=obj, action=action, changes=changes, note=note)
            for obj, action, changes, note in entries
        ],
        batch_size=1000,
    )


def history_of(obj: models.Model) -> models.QuerySet:
    """Events of one record, newest first. Callers must have checked `obj` is in the actor's scope."""
    return AuditEvent.objects.filter(target_type=target_type(obj), target_id=obj.pk).select_related("actor")


def field_labels(model: type[models.Model]) -> dict[str, str]:
    return {
        f.name: str(getattr(f, "verbose_name", f.name)) for f in model._meta.get_fields() if hasattr(f, "verbose_name")
    }
