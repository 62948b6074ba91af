"""Students join with an e-mail address only: a sign-in link by e-mail (/join/<token>/email/,
/join/<token>/signin/)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from races.models import Participant, RacerProfile, SignInRequest

from .helpers import make_race


@pytest.fixture
def student_race(alice, student_track):
    return make_race(alice, student_track, name="Class of 2026", flavour="student")


def ask_for_link(client: Client, race, email: str = "Student@School.example"):
    return client.post(f"/join/{race.invite_token}/email/", {"email": email})


def link_in(message) -> str:
    return re.search(r"http://testserver(/join/\S+)", message.body).group(1)


def test_it_offers_the_email_form_to_a_visitor_of_a_student_race(client, student_race):
    page = client.get(f"/join/{student_race.invite_token}/")
    assert page.status_code == 200
    assert b"Send me a sign-in link" in page.content


def test_it_works(client, student_race):
    sent = ask_for_link(client, student_race)
    assert sent.status_code == 200 and b"Check your e-mail" in sent.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["student@school.example"]
    link = link_in(mail.outbox[0])

    confirm = client.get(link)  # a mail scanner's GET spends nothing
    assert confirm.status_code == 200 and b"Sign in and continue" in confirm.content
    signed_in = client.post(link.split("?")[0], {"sesame": confirm.context["sesame"]})
    assert signed_in.status_code == 302 and signed_in["Location"] == f"/join/{student_race.invite_token}/"

    # Then the usual path: alias and country, then Join.
    to_profile = client.get(signed_in["Location"])
    assert to_profile["Location"].startswith("/profile/")
    client.post(to_profile["Location"], {"alias": "StudentSpeed", "country": "NZ"})
    assert client.post(f"/join/{student_race.invite_token}/").status_code == 302
    student = get_user_model().objects.get(email="student@school.example")
    assert not student.has_usable_password()
    assert Participant.objects.filter(race=student_race, user=student).exists()
    assert RacerProfile.objects.get(user=student).alias == "StudentSpeed"


def test_it_signs_in_once_per_link(client, student_race):
    ask_for_link(client, student_race)
    token = link_in(mail.outbox[0]).split("sesame=")[1]
    url = f"/join/{student_race.invite_token}/signin/"
    assert client.post(url, {"sesame": token}).status_code == 302
    other = Client()
    reused = other.post(url, {"sesame": token})
    assert reused.status_code == 410 and b"expired or was already used" in reused.content
    assert "_auth_user_id" not in other.session


def test_it_refuses_an_expired_link(client, student_race, settings):
    ask_for_link(client, student_race)
    token = link_in(mail.outbox[0]).split("sesame=")[1]
    settings.SESAME_MAX_AGE = -1
    response = client.post(f"/join/{student_race.invite_token}/signin/", {"sesame": token})
    assert response.status_code == 410


def test_it_scopes_a_link_to_its_race(client, alice, student_track, student_race):
    other_race = make_race(alice, student_track, name="Other class", flavour="student")
    ask_for_link(client, student_race)
    token = link_in(mail.outbox[0]).split("sesame=")[1]
    response = client.post(f"/join/{other_race.invite_token}/signin/", {"sesame": token})
    assert response.status_code == 410
    assert "_auth_user_id" not in client.session


def test_it_validates_the_email(client, student_race):
    response = ask_for_link(client, student_race, email="not an address")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.context["email_form"].errors["email"]
    assert not mail.outbox and not SignInRequest.objects.exists()
    assert not get_user_model().objects.filter(username="not an address").exists()


def test_it_refuses_an_invalid_or_closed_invitation(client, student_race):
    assert ask_for_link(client, student_race.__class__(invite_token="nope")).status_code == 404
    student_race.end_at = timezone.now() - timedelta(minutes=1)
    student_race.save(update_fields=["end_at"])
    assert ask_for_link(client, student_race).status_code == 404
    assert not mail.outbox


def test_it_limits_links_per_address(client, student_race, settings):
    settings.SIGNIN_LINKS_PER_HOUR = 2
    for _ in range(2):
        assert ask_for_link(client, student_race).status_code == 200
    refused = ask_for_link(client, student_race)
    assert refused.status_code == 429
    assert "Too many sign-in links" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_it_uses_the_existing_account_of_an_address(client, student_race, charlie):
    ask_for_link(client, student_race, email=charlie.email.upper())
    assert mail.outbox[0].to == [charlie.email]
    assert get_user_model().objects.filter(email__iexact=charlie.email).count() == 1


def test_it_answers_the_same_for_a_new_and_a_known_address(client, student_race, charlie):
    known = ask_for_link(client, student_race, email=charlie.email)
    new = ask_for_link(client, student_race, email="nobody-yet@school.example")
    strip = lambda r: r.content.decode().replace(charlie.email, "X").replace("nobody-yet@school.example", "X")  # noqa: E731
    assert strip(known) == strip(new)


def test_community_races_still_ask_to_log_in(client, race):
    response = client.get(f"/join/{race.invite_token}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
