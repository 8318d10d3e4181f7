from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .models import Role


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="Tên đăng nhập / Số CCCD / Số điện thoại",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="Mật khẩu", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": "Tên đăng nhập (hoặc số CCCD, số điện thoại) hoặc mật khẩu không đúng.",
        "inactive": "Tài khoản này đã bị khóa.",
    }


class AccountCreateForm(forms.Form):
    username = forms.CharField(
        label="Tên đăng nhập", max_length=40, help_text="Chữ thường không dấu, số, dấu chấm, gạch ngang."
    )
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    role = forms.ModelChoiceField(label="Vai trò", queryset=Role.objects.none(), empty_label=None)
    password = forms.CharField(
        label="Mật khẩu ban đầu", widget=forms.PasswordInput, help_text="Ít nhất 8 ký tự, không toàn chữ số."
    )
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(pk__in=[r.pk for r in roles])


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    role = forms.ModelChoiceField(label="Vai trò", queryset=Role.objects.none(), empty_label=None)
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    is_active = forms.BooleanField(label="Đang hoạt động (bỏ chọn để khóa tài khoản)", required=False)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(pk__in=[r.pk for r in roles])


class PasswordResetForm(forms.Form):
    password = forms.CharField(label="Mật khẩu mới", widget=forms.PasswordInput)
