"""Join a race through its invitation link (/join/<token>/)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from races.models import Participant, RacerProfile

from .helpers import make_race


def join_url(race) -> str:
    return f"/join/{race.invite_token}/"


def test_it_works(as_charlie, charlie, race):
    page = as_charlie.get(join_url(race))
    assert page.status_code == 200
    assert b"Join race as CharlieC" in page.content and race.name.encode() in page.content
    assert not Participant.objects.filter(race=race, user=charlie).exists()  # looking is not joining
    response = as_charlie.post(join_url(race))
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/"
    assert Participant.objects.get(race=race, user=charlie).is_active
    assert as_charlie.get(f"/races/{race.pk}/").status_code == 200
    assert race in as_charlie.get("/").context["races"]


def test_it_requires_login_and_comes_back(client, charlie, race):
    response = client.get(join_url(race))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={join_url(race)}"
    assert client.post(join_url(race)).status_code == 302
    assert not race.participants.exists()
    login = client.post("/accounts/login/", {"username": "charlie", "password": "pw-charlie", "next": join_url(race)})
    assert login.status_code == 302 and login["Location"] == join_url(race)


def test_it_sends_a_racer_without_a_profile_to_the_profile_page_and_back(race, db):
    from tests.scenes import make_user

    dana = make_user("dana")
    client = Client()
    client.force_login(dana)
    response = client.get(join_url(race))
    assert response.status_code == 302
    assert response["Location"] == f"/profile/?next={join_url(race)}"
    assert not race.participants.exists()
    profile_page = client.get(response["Location"])
    assert profile_page.status_code == 200 and profile_page.context["next"] == join_url(race)
    saved = client.post("/profile/", {"alias": "DanaDrives", "country": "CA", "next": join_url(race)})
    assert saved.status_code == 302 and saved["Location"] == join_url(race)
    assert RacerProfile.objects.get(user=dana).alias == "DanaDrives"
    assert client.post(join_url(race)).status_code == 302
    assert race.participants.filter(user=dana).exists()


def test_it_rejects_an_unknown_token(as_charlie, race):
    assert as_charlie.get("/join/not-the-token/").status_code == 404
    assert as_charlie.post(f"/join/{race.invite_token[:-1]}/").status_code == 404
    assert not race.participants.exists()


def test_it_rejects_an_unknown_token_before_asking_to_log_in(client, race):
    assert client.get("/join/not-the-token/").status_code == 404


def test_it_joins_only_once(as_bob, race, joined):
    response = as_bob.get(join_url(race))
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/"
    as_bob.post(join_url(race))
    assert race.participants.filter(user=joined.user).count() == 1


def test_it_lets_a_link_holder_view_the_race_before_joining(link_holder, race, charlie):
    assert link_holder.get(f"/races/{race.pk}/").status_code == 200
    assert not race.participants.filter(user=charlie).exists()


def test_it_stops_working_at_the_close_date(as_charlie, race):
    Race = type(race)
    Race.objects.filter(pk=race.pk).update(
        start_at=timezone.now() - timedelta(days=2), end_at=timezone.now() - timedelta(seconds=1)
    )
    assert as_charlie.get(join_url(race)).status_code == 404
    assert as_charlie.post(join_url(race)).status_code == 404
    assert not race.participants.exists()


def test_it_stops_working_after_close_race(as_alice, as_charlie, race):
    as_alice.post(f"/races/{race.pk}/close/")
    assert as_charlie.get(join_url(race)).status_code == 404


def test_it_lets_racers_join_a_race_opening_soon(as_charlie, alice, student_track):
    later = make_race(alice, student_track, name="Later", start_at=timezone.now() + timedelta(days=3))
    assert as_charlie.post(join_url(later)).status_code == 302
    assert later.participants.count() == 1


def test_it_refuses_a_removed_racer(as_bob, race, removed):
    assert as_bob.get(join_url(race)).status_code == 404
    assert as_bob.post(join_url(race)).status_code == 404
    removed.refresh_from_db()
    assert removed.removed_at is not None


def test_it_keeps_the_organizer_out_of_their_own_student_race(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Class of 2031", flavour="student")
    for response in (as_alice.get(join_url(race), follow=True), as_alice.post(join_url(race), follow=True)):
        assert response.redirect_chain[-1][0] == f"/races/{race.pk}/"
        assert "Organizers cannot race in their own student race." in response.content.decode()
    assert not race.participants.exists()


def test_it_lets_the_organizer_race_in_a_community_race(as_alice, alice, race):
    assert as_alice.post(join_url(race)).status_code == 302
    assert race.participants.filter(user=alice).exists()


def test_it_lets_a_student_join_with_just_an_email_address(client, alice, student_track):
    race = make_race(alice, student_track, name="Class of 2031", flavour="student")
    signup = client.post(f"/accounts/signup/?next={join_url(race)}",
                         {"email": "student@school.example", "password": "Trackday-2031!", "next": join_url(race)})
    assert signup["Location"] == join_url(race)
    to_profile = client.get(join_url(race))
    assert to_profile["Location"] == f"/profile/?next={join_url(race)}"
    client.post("/profile/", {"alias": "Student7", "country": "IE", "next": join_url(race)})
    assert client.post(join_url(race)).status_code == 302
    (participant,) = race.participants.all()
    assert participant.user.email == "student@school.example" and participant.alias == "Student7"


def test_it_enforces_csrf(charlie, race):
    client = Client(enforce_csrf_checks=True)
    client.force_login(charlie)
    assert client.post(join_url(race)).status_code == 403
    assert not race.participants.exists()
    client.get(join_url(race))
    response = client.post(join_url(race), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302 and race.participants.count() == 1


def test_it_answers_404_for_a_token_with_odd_characters(as_charlie, race):
    for token in ("%C3%A9t%C3%A9", "..%2F..%2Fetc", "x" * 300):
        assert as_charlie.get(f"/join/{token}/").status_code == 404
