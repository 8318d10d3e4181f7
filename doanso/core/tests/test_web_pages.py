"""Every page renders for an official in scope; a sibling commune's official gets 404 on all of them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def unit_pages(cast):
    b = cast.b111
    return [
        reverse("unit_detail", args=[b.pk]),
        reverse("unit_children", args=[cast.c11.pk]),
        reverse("unit_edit", args=[b.pk]),
        reverse("unit_move", args=[b.pk]),
        reverse("unit_merge", args=[b.pk]),
        reverse("unit_split", args=[b.pk]),
        reverse("unit_close", args=[b.pk]),
        reverse("unit_history", args=[b.pk]),
        reverse("unit_create", args=[cast.c11.pk]),
        reverse("member_list") + f"?unit={b.pk}",
        reverse("member_create") + f"?unit={b.pk}",
        reverse("member_detail", args=[cast.m_b111_1.pk]),
        reverse("member_edit", args=[cast.m_b111_1.pk]),
        reverse("member_status", args=[cast.m_b111_1.pk]),
        reverse("member_account", args=[cast.m_b111_1.pk]),
        reverse("member_export", args=["csv"]) + f"?unit={b.pk}",
        reverse("member_export", args=["xlsx"]) + f"?unit={b.pk}",
        reverse("account_list") + f"?unit={cast.c11.pk}",
        reverse("account_create") + f"?unit={b.pk}",
        reverse("account_detail", args=[cast.users["b111"].pk]),
    ]


def test_pages_render_for_official_in_scope(cast, client):
    client.force_login(cast.users["c11"])
    for url in unit_pages(cast):
        response = client.get(url)
        assert response.status_code == 200, url


def test_sibling_commune_gets_404_everywhere(cast, client):
    client.force_login(cast.users["c12"])
    for url in unit_pages(cast):
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)


def test_ids_in_links_are_never_grouped_like_numbers():
    """With Vietnamese number formatting, 3291 must not become "3.291" inside a URL or a form value."""
    from django.template import Context, Template

    class Obj:
        pk = 1234567

    html = Template('{% load humanize %}<a href="?unit={{ o.pk }}">{{ n|intcomma }}</a>').render(
        Context({"o": Obj(), "n": 3807})
    )
    assert "?unit=1234567" in html
    assert ">3.807<" in html
