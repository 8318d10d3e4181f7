"""Rule sets: dated, published only by the Central level, read by the checks in force on a day."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from doanso.core.models import RuleSet
from doanso.core.rules import rules_on
from doanso.core.scope import ScopeError
from doanso.core.services import rule_set_publish

pytestmark = pytest.mark.django_db


def test_defaults_until_a_rule_set_is_published(cast):
    assert rules_on(date(2026, 1, 1)).admission_max_age == 30
    rule_set_publish(actor=cast.users["central"], effective_from=date(2026, 1, 1), values={"admission_max_age": 32})
    assert rules_on(date(2025, 12, 31)).admission_max_age == 30
    assert rules_on(date(2026, 1, 1)).admission_max_age == 32
    # A later set keeps the values in force and changes only what it names.
    rule_set_publish(actor=cast.users["central"], effective_from=date(2026, 6, 1), values={"dues_salaried": 6000})
    later = rules_on(date(2026, 7, 1))
    assert (later.admission_max_age, later.dues_salaried) == (32, 6000)


def test_only_the_central_level_publishes(cast):
    with pytest.raises(ScopeError):
        rule_set_publish(actor=cast.users["p1"], effective_from=date(2026, 1, 1), values={"admission_max_age": 40})
    with pytest.raises(ScopeError):
        rule_set_publish(actor=cast.users["member_b111"], effective_from=date(2026, 1, 1), values={})
    assert RuleSet.objects.count() == 0


def test_bad_values_are_refused_in_vietnamese(cast):
    central = cast.users["central"]
    with pytest.raises(ValidationError) as exc:
        rule_set_publish(actor=central, effective_from=date(2026, 1, 1), values={"admission_max_age": "ba mươi"})
    assert "phải là số nguyên" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        rule_set_publish(actor=central, effective_from=date(2026, 1, 1), values={"admission_min_age": 31})
    assert "lớn hơn tuổi tối thiểu" in str(exc.value)
    rule_set_publish(actor=central, effective_from=date(2026, 1, 1), values={})
    with pytest.raises(ValidationError):
        rule_set_publish(actor=central, effective_from=date(2026, 1, 1), values={})
    assert RuleSet.objects.count() == 1


def test_rule_page_shows_unconfirmed_rules_and_publishes(cast, client):
    client.force_login(cast.users["p1"])
    body = client.get(reverse("rule_sets")).content.decode()
    assert "(?)" in body and "Chưa xác nhận" in body
    assert "Ban hành bộ quy định mới" not in body
    assert client.post(reverse("rule_sets"), {"effective_from": "01/01/2026"}).status_code == 403
    client.force_login(cast.users["central"])
    page = client.get(reverse("rule_sets"))
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data = {k: v for k, v in data.items() if v is not False}
    data.update({"effective_from": "01/01/2026", "admission_max_age": 31, "note": "QĐ 99-QĐ/TWĐTN"})
    assert client.post(reverse("rule_sets"), data).status_code == 302
    assert rules_on(date(2026, 2, 1)).admission_max_age == 31
