from __future__ import annotations

from django import forms

from doanso.core.models import Province, Ward
from doanso.core.web import UnitPicker, vn_date_field

from .choices import ALLOWED_CHILDREN, Sector, UnitKind
from .models import Unit


class UnitCreateForm(forms.Form):
    code = forms.CharField(label="Mã đơn vị", max_length=30, help_text="Ví dụ: T91-MYHOA. Không trùng toàn quốc.")
    name = forms.CharField(label="Tên đơn vị", max_length=200)
    short_name = forms.CharField(label="Tên viết tắt / ký hiệu", max_length=40, required=False)
    kind = forms.ChoiceField(label="Cấp / loại đơn vị")
    sector = forms.ChoiceField(
        label="Khối", choices=[("", "— theo đơn vị cấp trên —"), *Sector.choices], required=False
    )
    province = forms.ModelChoiceField(label="Tỉnh/thành phố", queryset=Province.objects.all(), required=False)
    ward = forms.ModelChoiceField(label="Xã/phường", queryset=Ward.objects.none(), required=False)
    address = forms.CharField(label="Địa chỉ", max_length=300, required=False)
    founded_on = vn_date_field("Ngày thành lập")
    decision_number = forms.CharField(label="Số quyết định", max_length=60, required=False)

    def __init__(self, *args, parent: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (k, UnitKind(k).label) for k in UnitKind.values if k in ALLOWED_CHILDREN[parent.kind]
        ]
        province = self.data.get("province") or (parent.province_id if parent.province_id else None)
        self.fields["ward"].queryset = Ward.objects.filter(province_id=province) if province else Ward.objects.none()
        if parent.province_id:
            self.fields["province"].initial = parent.province_id
        self.fields["province"].widget.attrs.update(
            {"hx-get": "/dia-ban/xa/", "hx-target": "#id_ward", "hx-trigger": "change"}
        )


class UnitEditForm(forms.Form):
    name = forms.CharField(label="Tên đơn vị", max_length=200)
    short_name = forms.CharField(label="Tên viết tắt / ký hiệu", max_length=40, required=False)
    sector = forms.ChoiceField(label="Khối", choices=[("", "—"), *Sector.choices], required=False)
    province = forms.ModelChoiceField(label="Tỉnh/thành phố", queryset=Province.objects.all(), required=False)
    ward = forms.ModelChoiceField(label="Xã/phường", queryset=Ward.objects.none(), required=False)
    address = forms.CharField(label="Địa chỉ", max_length=300, required=False)
    founded_on = vn_date_field("Ngày thành lập")
    version_name = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        province = self.data.get("province") or unit.province_id
        self.fields["ward"].queryset = Ward.objects.filter(province_id=province) if province else Ward.objects.none()
        self.fields["province"].widget.attrs.update(
            {"hx-get": "/dia-ban/xa/", "hx-target": "#id_ward", "hx-trigger": "change"}
        )


class _DatedForm(forms.Form):
    effective_on = vn_date_field("Ngày hiệu lực", required=True)
    decision_number = forms.CharField(label="Số quyết định", max_length=60, required=False)


class UnitMoveForm(_DatedForm):
    new_parent = forms.ModelChoiceField(label="Chuyển về trực thuộc", queryset=Unit.objects.none())

    def __init__(self, *args, actor, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = Unit.objects.restrict(actor, "manage").exclude(path__startswith=unit.path)
        self.fields["new_parent"].widget = UnitPicker()
        self.fields["new_parent"].error_messages["invalid_choice"] = (
            "Đơn vị được chọn không có hoặc nằm ngoài phạm vi quản lý."
        )


class UnitMergeForm(_DatedForm):
    survivor = forms.ModelChoiceField(label="Hợp nhất vào đơn vị", queryset=Unit.objects.none())

    def __init__(self, *args, actor, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = Unit.objects.restrict(actor, "manage").exclude(pk=unit.pk)
        self.fields["survivor"].widget = UnitPicker()
        self.fields["survivor"].error_messages["invalid_choice"] = (
            "Đơn vị được chọn không có hoặc nằm ngoài phạm vi quản lý."
        )


class UnitCloseForm(_DatedForm):
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class UnitReopenForm(_DatedForm):
    pass


class UnitSplitForm(_DatedForm):
    PARTS = 3
    close_original = forms.BooleanField(label="Giải thể đơn vị cũ sau khi chia tách", required=False)

    def __init__(self, *args, members, children, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, self.PARTS + 1):
            self.fields[f"code_{i}"] = forms.CharField(label=f"Mã đơn vị mới {i}", max_length=30, required=i == 1)
            self.fields[f"name_{i}"] = forms.CharField(label=f"Tên đơn vị mới {i}", max_length=200, required=i == 1)
        choices = [("0", "Ở lại")] + [(str(i), f"Đơn vị mới {i}") for i in range(1, self.PARTS + 1)]
        self.assign_fields = []
        for m in members:
            name = f"member_{m.pk}"
            self.fields[name] = forms.ChoiceField(label=m.full_name, choices=choices, initial="0", required=False)
            self.assign_fields.append(name)
        for c in children:
            name = f"child_{c.pk}"
            self.fields[name] = forms.ChoiceField(label=c.name, choices=choices, initial="0", required=False)
            self.assign_fields.append(name)

    def parts(self) -> list[dict]:
        parts = []
        for i in range(1, self.PARTS + 1):
            code = self.cleaned_data.get(f"code_{i}")
            name = self.cleaned_data.get(f"name_{i}")
            if not code and not name:
                continue
            part = {"code": code or "", "name": name or "", "member_ids": [], "child_ids": []}
            for field in self.assign_fields:
                if self.cleaned_data.get(field) == str(i):
                    kind, pk = field.split("_")
                    part["member_ids" if kind == "member" else "child_ids"].append(int(pk))
            parts.append(part)
        return parts
