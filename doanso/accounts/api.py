"""API: token login, the caller's own record, and accounts handed out level by level."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm, is_official
from doanso.organisations.models import Unit

from . import selectors, services
from .models import Role, User

LoginIn = inline_serializer("LoginIn", {"username": serializers.CharField(), "password": serializers.CharField()})
AccountOut = inline_serializer(
    "Account",
    {
        "id": serializers.IntegerField(), "username": serializers.CharField(), "full_name": serializers.CharField(),
        "kind": serializers.CharField(), "unit": serializers.DictField(allow_null=True), "role": serializers.DictField(allow_null=True),
        "phone": serializers.CharField(), "email": serializers.CharField(), "is_active": serializers.BooleanField(),
    },
)  # fmt: skip


def account_out(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "kind": user.kind,
        "unit": {"id": user.unit_id, "name": user.unit.name} if user.unit_id else None,
        "role": {"code": user.role.code, "name": user.role.name, "permissions": user.role.permissions}
        if user.role_id
        else None,
        "phone": user.phone,
        "email": user.email,
        "is_active": user.is_active,
    }


@extend_schema(
    request=LoginIn, responses={200: dict}, summary="Lấy token: tên đăng nhập, hoặc số CCCD / số điện thoại (đoàn viên)"
)
@api_view(["POST"])
@permission_classes([AllowAny])
def token_obtain(request):
    user = authenticate(request, username=request.data.get("username", ""), password=request.data.get("password", ""))
    if user is None:
        return Response({"detail": "Tên đăng nhập (hoặc số CCCD, số điện thoại) hoặc mật khẩu không đúng."}, status=400)
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key, **account_out(user)})


@extend_schema(request=None, responses={204: None}, summary="Đăng xuất: hủy token")
@api_view(["POST"])
def token_logout(request):
    Token.objects.filter(user=request.user).delete()
    return Response(status=204)


@extend_schema(responses={200: dict}, summary="Tài khoản của tôi; với đoàn viên: sổ đoàn viên điện tử")
@api_view(["GET"])
def me(request):
    from doanso.members.api import member_history, member_out
    from doanso.members.selectors import member_of_account

    out = {"account": account_out(request.user)}
    member = member_of_account(request.user)
    if member is not None:
        out["member"] = member_out(member, full=True)
        out["history"] = member_history(member, with_audit=False)
    return Response(out)


def _require_view(request):
    if not has_perm(request.user, "account.view"):
        raise ScopeError("Vai trò của bạn không xem được tài khoản.")


def _unit(request, pk) -> Unit:
    return get_object_or_404(Unit.objects.restrict(request.user, "view"), pk=pk)


@extend_schema(
    parameters=[OpenApiParameter("unit", int)],
    request=inline_serializer(
        "AccountIn",
        {
            "unit": serializers.IntegerField(),
            "role": serializers.CharField(),
            "username": serializers.CharField(),
            "full_name": serializers.CharField(),
            "password": serializers.CharField(),
            "phone": serializers.CharField(required=False),
            "email": serializers.CharField(required=False),
        },
    ),  # fmt: skip
    responses={200: AccountOut, 201: AccountOut},
    summary="Tài khoản trong phạm vi (GET) / cấp tài khoản cho đơn vị trực thuộc (POST)",
)
@extend_schema(methods=["GET"], operation_id="accounts_list")
@extend_schema(methods=["POST"], operation_id="accounts_create")
@api_view(["GET", "POST"])
def accounts(request):
    _require_view(request)
    if request.method == "GET":
        unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
        return Response([account_out(a) for a in selectors.account_list(actor=request.user, unit=unit)[:500]])
    d = request.data
    unit = _unit(request, d.get("unit"))
    role = get_object_or_404(Role, code=d.get("role"))
    user = services.account_create(
        actor=request.user, unit=unit, role=role, username=d.get("username", ""), full_name=d.get("full_name", ""),
        password=d.get("password", ""), phone=d.get("phone", ""), email=d.get("email", ""),
    )  # fmt: skip
    return Response(account_out(user), status=201)


@extend_schema(request=inline_serializer("AccountPatch", {"full_name": serializers.CharField(required=False),
                                                           "role": serializers.CharField(required=False),
                                                           "is_active": serializers.BooleanField(required=False)}),  # fmt: skip
               responses={200: AccountOut}, summary="Xem / sửa, khóa tài khoản")  # fmt: skip
@api_view(["GET", "PATCH"])
def account_detail(request, pk: int):
    _require_view(request)
    account = selectors.account_get(actor=request.user, pk=pk)
    if request.method == "PATCH":
        data = {k: v for k, v in request.data.items() if k in ("full_name", "phone", "email", "is_active", "role")}
        if "role" in data:
            data["role"] = get_object_or_404(Role, code=data["role"])
        account = services.account_update(actor=request.user, account=account, data=data)
    return Response(account_out(account))


@extend_schema(request=inline_serializer("PasswordIn", {"password": serializers.CharField()}), responses={204: None},
               summary="Đặt lại mật khẩu")  # fmt: skip
@api_view(["POST"])
def account_password(request, pk: int):
    _require_view(request)
    account = selectors.account_get(actor=request.user, pk=pk)
    services.account_set_password(actor=request.user, account=account, password=request.data.get("password", ""))
    return Response(status=204)


@extend_schema(parameters=[OpenApiParameter("unit", int)], responses={200: dict}, summary="Các vai trò được phép cấp")
@api_view(["GET"])
def roles(request):
    if not is_official(request.user):
        raise ScopeError("Chỉ tài khoản cán bộ.")
    unit = _unit(request, request.query_params["unit"]) if request.query_params.get("unit") else None
    return Response(
        [
            {"code": r.code, "name": r.name, "rank": r.rank}
            for r in selectors.roles_grantable(actor=request.user, unit=unit)
        ]
    )
