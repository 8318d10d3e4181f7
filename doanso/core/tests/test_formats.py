"""Day-first dates under LANGUAGE_CODE "vi" (conventions.md §7.1: Django's own `vi` locale reads US order)."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation


@pytest.fixture(autouse=True)
def vietnamese():
    assert settings.LANGUAGE_CODE == "vi"
    with translation.override("vi"):
        yield


class DateForm(forms.Form):
    day = forms.DateField()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/02/2025", date(2025, 2, 1)),  # 1 February, not 2 January
        ("13/02/2025", date(2025, 2, 13)),  # accepted, not rejected as month 13
        ("05-02-2025", date(2025, 2, 5)),
        ("2025-02-05", date(2025, 2, 5)),  # ISO from <input type=date>
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_date_field_reads_day_first(text, expected):
    form = DateForm(data={"day": text})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == expected


@pytest.mark.parametrize("text", ["02/13/2025", "29/02/2025", "32/01/2025"])
def test_date_field_rejects_month_first_and_impossible_dates(text):
    form = DateForm(data={"day": text})
    assert not form.is_valid()
    assert "day" in form.errors


def test_date_field_renders_day_first():
    form = DateForm(initial={"day": date(2025, 2, 1)})
    assert 'value="01/02/2025"' in str(form["day"])


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ d|date }}", "01/02/2025"),
        ('{{ d|date:"SHORT_DATE_FORMAT" }}', "01/02/2025"),
        ("{{ d }}", "01/02/2025"),
        ("{{ e|date }}", "13/12/2025"),
    ],
)
def test_date_template_filter_renders_dd_mm_yyyy(template, expected):
    rendered = Template(template).render(Context({"d": date(2025, 2, 1), "e": date(2025, 12, 13)}))
    assert rendered == expected


def test_numbers_use_decimal_comma_and_thousands_dot():
    assert formats.number_format(1234567.5, decimal_pos=1, use_l10n=True, force_grouping=True) == "1.234.567,5"
    # Shown numbers are grouped with |intcomma; a bare {{ n }} stays plain so ids in URLs are never "3.291".
    assert Template("{% load humanize %}{{ n|intcomma }}").render(Context({"n": 120000})) == "120.000"
    assert Template("{{ n }}").render(Context({"n": 120000})) == "120000"


@pytest.fixture
def without_project_formats(settings):
    settings.FORMAT_MODULE_PATH = None
    formats.reset_format_cache()  # Django does not reset it when FORMAT_MODULE_PATH changes
    yield
    settings.FORMAT_MODULE_PATH = ["doanso.core.formats"]
    formats.reset_format_cache()


def test_without_the_project_format_module_django_reads_us_order(without_project_formats):
    """Guards the tests above: they pass only because of doanso/core/formats/vi."""
    form = DateForm(data={"day": "01/02/2025"})
    assert form.is_valid() and form.cleaned_data["day"] == date(2025, 1, 2)
    assert not DateForm(data={"day": "13/02/2025"}).is_valid()
