from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect

from .scope import is_official


@login_required
def home(request):
    if is_official(request.user):
        return redirect("unit_detail", pk=request.user.unit_id)
    return redirect("member_book")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
