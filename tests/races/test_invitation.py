"""The invitation page: link to copy, suggested e-mail text, QR code."""

from __future__ import annotations

import html


def test_it_works(as_alice, race):
    response = as_alice.get(f"/races/{race.pk}/invitation/")
    assert response.status_code == 200
    body = response.content.decode()
    url = f"http://testserver/join/{race.invite_token}/"
    assert response.context["url"] == url
    assert f'id="invite-url" value="{url}" readonly' in body
    assert 'id="copy-link"' in body and 'data-copy="#email-text"' in body
    assert "<svg" in body  # the QR code, inline
    email = html.unescape(body.split('id="email-text" readonly>')[1].split("</textarea>")[0])
    assert email == response.context["email_text"]
    assert f"Welcome to {race.name}" in email and url in email
    assert race.track.name in email and "(UTC)" in email


def test_it_says_when_the_race_was_just_created(as_alice, race):
    assert as_alice.get(f"/races/{race.pk}/invitation/?created=1").context["created"] is True
    assert as_alice.get(f"/races/{race.pk}/invitation/").context["created"] is False


def test_it_uses_the_site_url_when_set(as_alice, race, settings):
    settings.SITE_URL = "https://races.example.org/"
    response = as_alice.get(f"/races/{race.pk}/invitation/")
    assert response.context["url"] == f"https://races.example.org/join/{race.invite_token}/"


def test_it_writes_the_start_in_the_race_time_zone(as_alice, race):
    from datetime import UTC, datetime

    race.time_zone = "Asia/Tokyo"
    race.start_at = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)
    race.save()
    email = as_alice.get(f"/races/{race.pk}/invitation/").context["email_text"]
    assert "1 March 2031, 18:30 (Asia/Tokyo)" in email


def test_the_qr_code_encodes_the_link(race):
    import segno

    from races.invitations import qr_svg

    url = f"http://testserver/join/{race.invite_token}/"
    assert qr_svg(url) == segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    assert as_bob.get(f"/races/{race.pk}/invitation/").status_code == 403
    response = as_mallory.get(f"/races/{race.pk}/invitation/")
    assert response.status_code == 404 and race.invite_token.encode() not in response.content


def test_it_says_a_closed_race_hands_out_no_link(as_alice, race):
    race.close()
    response = as_alice.get(f"/races/{race.pk}/invitation/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "The race is closed: its invitation link no longer works." in body
    assert race.invite_token not in body
    assert "<svg" not in body and 'id="invite-url"' not in body and 'id="email-text"' not in body


def test_it_says_a_race_past_its_end_hands_out_no_link(as_alice, race):
    from datetime import timedelta

    from django.utils import timezone

    race.start_at, race.end_at = timezone.now() - timedelta(days=2), timezone.now() - timedelta(days=1)
    race.save()
    body = as_alice.get(f"/races/{race.pk}/invitation/").content.decode()
    assert "its invitation link no longer works" in body and race.invite_token not in body
