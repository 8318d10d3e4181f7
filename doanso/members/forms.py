from __future__ import annotations

from django import forms

from doanso.core.models import Ethnicity, Province, Religion, Ward
from doanso.core.web import vn_date_field
from doanso.organisations.choices import Sector, UnitKind

from .choices import AgeBand, MemberStatus, Position, Sex


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label="Tìm",
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Họ tên (có/không dấu), số CCCD hoặc số điện thoại"}
        ),
    )
    status = forms.ChoiceField(
        label="Trạng thái",
        required=False,
        choices=[("", "Đang là đoàn viên"), ("all", "Tất cả"), *MemberStatus.choices],
    )
    sex = forms.ChoiceField(label="Giới tính", required=False, choices=[("", "Tất cả"), *Sex.choices])
    age_band = forms.ChoiceField(label="Độ tuổi", required=False, choices=[("", "Tất cả"), *AgeBand.choices])
    ethnicity = forms.ModelChoiceField(
        label="Dân tộc", required=False, queryset=Ethnicity.objects.all(), empty_label="Tất cả"
    )
    unit_kind = forms.ChoiceField(
        label="Loại chi đoàn",
        required=False,
        choices=[
            ("", "Tất cả"),
            (UnitKind.BRANCH, UnitKind.BRANCH.label),
            (UnitKind.GRASSROOTS_BRANCH, UnitKind.GRASSROOTS_BRANCH.label),
        ],
    )
    sector = forms.ChoiceField(label="Khối", required=False, choices=[("", "Tất cả"), *Sector.choices])
    include_descendants = forms.ChoiceField(label="Phạm vi", required=False, choices=[("1", "Kể cả đơn vị trực thuộc"), ("0", "Chỉ đơn vị này")])  # fmt: skip


class MemberForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120, help_text="Ghi đúng như trên CCCD.")
    date_of_birth = vn_date_field("Ngày sinh", required=True)
    sex = forms.ChoiceField(label="Giới tính", choices=Sex.choices, widget=forms.RadioSelect)
    ethnicity = forms.ModelChoiceField(
        label="Dân tộc", queryset=Ethnicity.objects.all(), initial="01", to_field_name="code"
    )
    religion = forms.ModelChoiceField(
        label="Tôn giáo", queryset=Religion.objects.all(), initial="00", to_field_name="code"
    )
    citizen_id = forms.CharField(label="Số CCCD", max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    accept_warnings = forms.BooleanField(
        label="Xác nhận thông tin CCCD (khi hệ thống cảnh báo nhưng thông tin là đúng)", required=False
    )
    citizen_id_issued_on = vn_date_field("Ngày cấp CCCD")
    citizen_id_issued_place = forms.CharField(label="Nơi cấp CCCD", max_length=120, required=False)
    legacy_id_9 = forms.CharField(label="Số CMND cũ (9 số)", max_length=9, required=False)
    hometown = forms.CharField(label="Quê quán", max_length=200, required=False)
    permanent_province = forms.ModelChoiceField(
        label="Tỉnh/thành thường trú", queryset=Province.objects.all(), required=False
    )
    permanent_ward = forms.ModelChoiceField(label="Xã/phường thường trú", queryset=Ward.objects.none(), required=False)
    permanent_address = forms.CharField(
        label="Địa chỉ thường trú (số nhà, đường, thôn/ấp)", max_length=300, required=False
    )
    current_province = forms.ModelChoiceField(
        label="Tỉnh/thành nơi ở hiện nay", queryset=Province.objects.all(), required=False
    )
    current_ward = forms.ModelChoiceField(
        label="Xã/phường nơi ở hiện nay", queryset=Ward.objects.none(), required=False
    )
    current_address = forms.CharField(label="Nơi ở hiện nay (số nhà, đường, thôn/ấp)", max_length=300, required=False)
    phone = forms.CharField(
        label="Số điện thoại", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    email = forms.CharField(label="Thư điện tử", max_length=254, required=False, widget=forms.EmailInput)
    education_general = forms.CharField(
        label="Giáo dục phổ thông", max_length=20, required=False, help_text="Ví dụ: 12/12"
    )
    education_professional = forms.CharField(label="Trình độ chuyên môn", max_length=100, required=False)
    political_theory = forms.CharField(label="Lý luận chính trị", max_length=60, required=False)
    it_level = forms.CharField(label="Tin học", max_length=60, required=False)
    foreign_language = forms.CharField(label="Ngoại ngữ", max_length=60, required=False)
    occupation = forms.CharField(label="Nghề nghiệp", max_length=120, required=False)
    is_salaried = forms.BooleanField(label="Hưởng lương (đoàn phí mức có lương)", required=False)
    party_joined_on = vn_date_field("Ngày vào Đảng")
    position = forms.ChoiceField(label="Chức vụ Đoàn", choices=Position.choices, initial=Position.MEMBER)
    is_full_time_official = forms.BooleanField(label="Cán bộ chuyên trách / được bầu", required=False)
    card_number = forms.CharField(label="Số thẻ đoàn viên", max_length=30, required=False)
    admitted_on = vn_date_field("Ngày vào Đoàn", required=True)
    admission_decision_number = forms.CharField(label="Số quyết định kết nạp", max_length=60, required=False)
    admission_place = forms.CharField(label="Nơi kết nạp", max_length=200, required=False)
    federation_member = forms.BooleanField(label="Hội viên Hội LHTN Việt Nam", required=False)
    student_association_member = forms.BooleanField(label="Hội viên Hội Sinh viên Việt Nam", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = [
        "full_name", "date_of_birth", "sex", "citizen_id", "accept_warnings", "admitted_on", "admission_decision_number",
        "admission_place", "card_number", "position", "is_full_time_official", "phone", "email", "ethnicity", "religion",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix in ("permanent", "current"):
            province = self.data.get(f"{prefix}_province") or self.initial.get(f"{prefix}_province")
            if province:
                self.fields[f"{prefix}_ward"].queryset = Ward.objects.filter(province_id=province)
            self.fields[f"{prefix}_province"].widget.attrs.update(
                {"hx-get": "/dia-ban/xa/", "hx-target": f"#id_{prefix}_ward", "hx-trigger": "change"}
            )
        self.fields["citizen_id"].error_messages["required"] = "Số CCCD: không được để trống."
        self.fields["full_name"].error_messages["required"] = "Họ và tên: không được để trống."

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("accept_warnings", "version", "permanent_province", "current_province"):
            data.pop(key, None)
        data["ethnicity"] = data["ethnicity"].pk if data.get("ethnicity") else None
        data["religion"] = data["religion"].pk if data.get("religion") else None
        return data


class MemberStatusForm(forms.Form):
    status = forms.ChoiceField(label="Trạng thái mới", choices=MemberStatus.choices)
    effective_on = vn_date_field("Ngày hiệu lực", required=True)
    decision_number = forms.CharField(label="Số quyết định / văn bản", max_length=60, required=False)
    reason = forms.CharField(label="Lý do, căn cứ", widget=forms.Textarea(attrs={"rows": 3}))


class MemberAccountForm(forms.Form):
    password = forms.CharField(
        label="Mật khẩu ban đầu",
        widget=forms.PasswordInput,
        min_length=8,
        help_text="Ít nhất 8 ký tự, không toàn chữ số.",
    )
