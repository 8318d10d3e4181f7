"""`{% export_buttons "members" unit params %}`: the "Xuất Excel / CSV / PDF" buttons of a page.

    {% load jobs %}
    {% export_buttons "members" unit query %}                       {# query: the list's urlencoded filters #}
    {% export_buttons "evaluation_summary" unit "year=2025" %}
    {% export_buttons "grades" unit params formats="xlsx,pdf" label="Xuất danh sách xếp loại" %}
    {% export_buttons "members" unit query include=".filterform" %}  {# + the filter form's current values #}

`params` is a query string or a dict. The buttons show only to a person whose role holds the
export's permission; a click starts a background job and shows its progress bar in place (HTMX),
or, without JavaScript, opens the job's page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

from doanso.core.scope import has_perm

from ..registry import export_for_code
from ..writers import FORMAT_LABELS

register = template.Library()


@register.inclusion_tag("jobs/partials/export_buttons.html", takes_context=True)
def export_buttons(context, code: str, unit, params="", formats: str = "", label: str = "Xuất", include: str = ""):
    spec = export_for_code(code)
    user = context.get("user") or getattr(context.get("request"), "user", None)
    allowed = spec is not None and has_perm(user, spec.perm)
    chosen = [
        f for f in (formats.split(",") if formats else spec.formats if spec else []) if spec and f in spec.formats
    ]
    if isinstance(params, dict):
        params = urlencode(params)
    return {
        "show": allowed and unit is not None,
        "code": code,
        "unit": unit,
        "params": params or "",
        "formats": [(f, FORMAT_LABELS[f]) for f in chosen],
        "label": label,
        "include": include,
        "csrf_token": context.get("csrf_token"),
    }
