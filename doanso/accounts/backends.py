"""Log in officials by username, members by CCCD or phone number, with a password."""

from __future__ import annotations

import re

from django.contrib.auth.backends import ModelBackend

from doanso.core import vn

from .models import User


class OfficialOrMemberBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        ident = username.strip()
        user = None
        digits = re.sub(r"[\s.\-+()]", "", ident)
        if digits.isdigit() and len(digits) == 12:
            user = User.objects.filter(kind=User.Kind.MEMBER, member__citizen_id=digits).first()
        elif digits.isdigit() and 9 <= len(digits) <= 13:
            try:
                phone = vn.normalize_phone(ident)
            except vn.PhoneError:
                phone = ""
            if phone:
                matches = list(User.objects.filter(kind=User.Kind.MEMBER, member__phone=phone)[:2])
                user = matches[0] if len(matches) == 1 else None
        if user is None:
            user = User.objects.filter(username__iexact=ident).first()
        if user is None:
            User().set_password(password)  # same time whether or not the account exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Every page reads the account's unit and role (scope): load them with the user.
        user = User.objects.select_related("unit", "role").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
