from django import forms

from .models import ImportKind, ImportMode


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp danh sách (.xlsx hoặc .csv)",
        error_messages={
            "required": "Hãy chọn tệp cần nhập.",
            "empty": "Tệp rỗng (0 byte): hãy kiểm tra lại tệp đã lưu.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        allow_empty_file=True,  # the service says why an empty file is refused
    )
    kind = forms.ChoiceField(
        label="Loại dữ liệu", choices=ImportKind.choices, initial=ImportKind.MEMBERS, widget=forms.RadioSelect
    )


class ConfirmForm(forms.Form):
    mode = forms.ChoiceField(
        label="Cách nhập",
        choices=[
            (ImportMode.ALL, "Tất cả hoặc không gì cả (mặc định): chỉ ghi khi mọi dòng đều hợp lệ"),
            (ImportMode.VALID, "Chỉ nhập các dòng hợp lệ, bỏ qua các dòng lỗi"),
        ],
        initial=ImportMode.ALL,
        widget=forms.RadioSelect,
    )
