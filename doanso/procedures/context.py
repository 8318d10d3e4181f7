from .services import inbox_count


def inbox(request):
    """The count badge of the in-app inbox: open cases waiting for the user's unit or below."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"inbox_count": inbox_count(actor=user)}
