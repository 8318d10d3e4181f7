from django import forms

from doanso.core.models import Ethnicity, Religion
from doanso.core.web import vn_date_field
from doanso.members.models import Member

from .choices import SponsorKind


class YouthForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    date_of_birth = vn_date_field("Ngày sinh", required=True)
    sex = forms.ChoiceField(label="Giới tính", choices=[("M", "Nam"), ("F", "Nữ")], widget=forms.RadioSelect)
    citizen_id = forms.CharField(label="Số CCCD", max_length=20)
    ethnicity = forms.ModelChoiceField(label="Dân tộc", queryset=Ethnicity.objects.all(), initial="01")
    religion = forms.ModelChoiceField(label="Tôn giáo", queryset=Religion.objects.all(), initial="00")
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    occupation = forms.CharField(label="Nghề nghiệp", max_length=120, required=False)
    current_address = forms.CharField(label="Nơi ở hiện nay", max_length=300, required=False)
    applied_on = vn_date_field("Ngày nộp đơn xin vào Đoàn", required=True)
    application = forms.CharField(
        label="Đơn xin vào Đoàn (tóm tắt)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    personal_history = forms.CharField(label="Lý lịch", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    course_passed_on = vn_date_field("Ngày hoàn thành lớp cảm tình Đoàn")
    course_certificate = forms.CharField(label="Số giấy chứng nhận cảm tình Đoàn", max_length=60, required=False)
    sponsor_kind = forms.ChoiceField(
        label="Giới thiệu", choices=[("", "— chưa có —"), *SponsorKind.choices], required=False
    )
    sponsor_member = forms.ModelChoiceField(
        label="Đoàn viên giới thiệu", queryset=Member.objects.none(), required=False
    )
    sponsor_note = forms.CharField(label="Ghi chú người/tổ chức giới thiệu", max_length=200, required=False)

    def __init__(self, *args, sponsors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor_member"].queryset = sponsors

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["ethnicity"] = data["ethnicity"].pk if data.get("ethnicity") else None
        data["religion"] = data["religion"].pk if data.get("religion") else None
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label="Lý do / ghi chú", widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    decision_number = forms.CharField(label="Số quyết định chuẩn y", max_length=60, help_text="Ví dụ: 45-QĐ/ĐTN")
    decision_on = vn_date_field("Ngày quyết định", required=True)
    signer = forms.CharField(label="Người ký", max_length=120)
    note = forms.CharField(label="Ghi chú", required=False)


class ReleaseForm(forms.Form):
    remarks = forms.CharField(label="Nhận xét của đơn vị đi", widget=forms.Textarea(attrs={"rows": 2}))
    dues_paid_to = forms.CharField(
        label="Đoàn phí đã đóng đến tháng (mm/yyyy)", max_length=7, required=False,
        help_text="Đơn vị ghi sổ đoàn phí trên Đoàn Số: để trống, lấy theo sổ.",
    )  # fmt: skip
    note = forms.CharField(label="Ghi chú", required=False)


class RewardRecordForm(forms.Form):
    from .choices import RewardForm as _RF

    form = forms.ChoiceField(label="Hình thức khen thưởng", choices=_RF.choices)
    decision_number = forms.CharField(label="Số quyết định", max_length=60)
    decided_on = vn_date_field("Ngày quyết định", required=True)
    reason = forms.CharField(label="Thành tích", widget=forms.Textarea(attrs={"rows": 2}))


class DisciplineProposeForm(forms.Form):
    from .choices import DisciplineForm as _DF

    form = forms.ChoiceField(label="Hình thức kỷ luật", choices=_DF.choices)
    months = forms.IntegerField(label="Số tháng (khi đình chỉ sinh hoạt)", required=False, min_value=1)
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 2}))


class HonoraryForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    date_of_birth = vn_date_field("Ngày sinh")
    citizen_id = forms.CharField(label="Số CCCD (nếu có)", max_length=20, required=False)
    contribution = forms.CharField(
        label="Đóng góp cho Đoàn và phong trào thanh niên", widget=forms.Textarea(attrs={"rows": 3})
    )
