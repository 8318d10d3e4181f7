"""Small helpers shared by the server-rendered views (no business rules here)."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import mark_safe

DATE_HELP = "dd/mm/yyyy"


class VNDateInput(forms.DateInput):
    """A text date field in dd/mm/yyyy (the way Vietnamese forms write dates)."""

    def __init__(self, attrs=None):
        base = {"placeholder": DATE_HELP, "inputmode": "numeric", "autocomplete": "off", "class": "date"}
        base.update(attrs or {})
        super().__init__(attrs=base, format="%d/%m/%Y")


def vn_date_field(label: str, required: bool = False, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=VNDateInput(),
        input_formats=INPUT_FORMATS,
        error_messages={"invalid": f"{label}: ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy."},
        **kwargs,
    )


INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%Y-%m-%d"]


def parse_vn_date(text: str) -> date | None:
    for fmt in INPUT_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's Vietnamese errors on the matching form fields (others at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                message = " ".join(error.messages)
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def get_or_404(getter, **kwargs):
    """Call a selector that raises DoesNotExist when the object is missing or out of scope."""
    try:
        return getter(**kwargs)
    except Exception as exc:  # the model's DoesNotExist
        if exc.__class__.__name__ == "DoesNotExist":
            raise Http404("Không tìm thấy, hoặc nằm ngoài phạm vi quản lý của bạn.") from exc
        raise


def unit_from_request(request, source=None):
    """The unit a page is about: `unit` in the query string (or in `source`, e.g. request.POST), the
    account's own unit by default; 404 when missing or outside the account's subtree."""
    from doanso.organisations.selectors import unit_get

    raw = (request.GET if source is None else source).get("unit") or getattr(request.user, "unit_id", None)
    if not str(raw).isdigit():
        raise Http404("Không tìm thấy đơn vị.")
    return get_or_404(unit_get, actor=request.user, pk=int(raw))


class UnitPicker(forms.Widget):
    """Search-as-you-type unit chooser: the value is validated by a scoped ModelChoiceField."""

    def __init__(self, attrs=None, kinds: str = ""):
        super().__init__(attrs)
        self.kinds = kinds

    def render(self, name, value, attrs=None, renderer=None):
        chosen = ""
        if value:
            from doanso.organisations.models import Unit

            unit = Unit.objects.filter(pk=value).only("name", "code").first()
            if unit is not None:
                chosen = format_html(
                    '<label class="pick"><input type="radio" name="{}" value="{}" checked> {} <small>({})</small></label>',
                    name,
                    unit.pk,
                    unit.name,
                    unit.code,
                )
        return format_html(
            '<div class="unit-picker"><input type="search" name="{}_q" placeholder="Gõ tên hoặc mã đơn vị…" '
            'hx-get="/don-vi/chon/" hx-trigger="input changed delay:300ms, search" hx-target="#pick-{}" '
            'hx-vals=\'{{"field": "{}", "kinds": "{}"}}\' autocomplete="off" id="{}">'
            '<div class="pick-results" id="pick-{}">{}</div></div>',
            name,
            name,
            name,
            self.kinds,
            (attrs or {}).get("id", f"id_{name}"),
            name,
            mark_safe(chosen),  # noqa: S308 - built with format_html above
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


NEUTRALISE = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formula injection in exported text cells."""
    if isinstance(value, str) and value.startswith(NEUTRALISE):
        return "'" + value
    return value
