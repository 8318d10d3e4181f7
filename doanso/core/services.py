"""Writes owned by the core: publishing a rule set."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import audit
from .models import RuleSet
from .rules import clean_rule_values, rules_on
from .scope import ScopeError, require


@transaction.atomic
def rule_set_publish(*, actor: Any, effective_from: date | None, values: dict[str, Any], note: str = "") -> RuleSet:
    """Only the Central level sets the Union's rules; a new set starts from the values in force."""
    require(actor, "rules.manage")
    if actor.unit.depth != 0:
        raise ScopeError("Chỉ Trung ương Đoàn ban hành quy định dùng chung.")
    if effective_from is None:
        raise ValidationError({"effective_from": "Cần ngày có hiệu lực."})
    clean, errors = clean_rule_values(values)
    if errors:
        raise ValidationError(errors)
    base = rules_on(effective_from).as_dict()
    base.update(clean)
    if RuleSet.objects.filter(effective_from=effective_from).exists():
        raise ValidationError({"effective_from": f"Đã có bộ quy định có hiệu lực từ ngày {effective_from:%d/%m/%Y}."})
    try:
        with transaction.atomic():
            rule_set = RuleSet.objects.create(effective_from=effective_from, values=base, note=note, created_by=actor)
    except IntegrityError as exc:
        raise ValidationError({"effective_from": "Ngày này vừa có bộ quy định khác."}) from exc
    audit.record(
        actor=actor, obj=rule_set, action="create", changes={k: [None, v] for k, v in clean.items()}, note=note
    )
    return rule_set
