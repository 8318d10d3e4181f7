"""Errors in the API come out as the web shows them: Vietnamese, per field, and nothing leaked."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Response({"detail": "Dữ liệu không hợp lệ.", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "Không có quyền."}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return Response({"detail": "Không tìm thấy."}, status=status.HTTP_404_NOT_FOUND)
    return drf_handler(exc, context)
