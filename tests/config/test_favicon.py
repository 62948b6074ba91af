"""The site's favicon: browsers (and OBS's browser sources) ask for /favicon.ico on every page,
so it is there, small, and linked from the base template."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.templatetags.static import static


def test_favicon_ico_leads_to_a_small_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("races/favicon.ico")
    icon = finders.find("races/favicon.ico")
    assert icon is not None
    with open(icon, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert len(data) < 1024


def test_every_page_links_the_icon(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{static("races/favicon.ico")}"' in page
