"""Export racers to CSV (student races: aliases, never e-mail addresses)."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from races.models import Participant

from .helpers import make_race


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_it_works(as_alice, race, joined):
    response = as_alice.get(f"/races/{race.pk}/racers.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="racers-{race.pk}.csv"'
    header, bob_row = rows(response)
    assert header == ["alias", "email", "country", "date_joined", "submission_status"]
    assert bob_row[:3] == ["BobTheRacer", "bob@example.org", "FR"]
    assert bob_row[3] == joined.joined_at.isoformat()
    assert bob_row[4] == joined.submission_status


def test_it_exports_aliases_only_for_a_student_race(as_alice, alice, bob, student_track):
    race = make_race(alice, student_track, name="Class of 2031", flavour="student")
    Participant.objects.create(race=race, user=bob)
    response = as_alice.get(f"/races/{race.pk}/racers.csv")
    header, bob_row = rows(response)
    assert header == ["alias", "country", "date_joined", "submission_status"]
    assert bob_row[:2] == ["BobTheRacer", "FR"]
    assert b"@" not in response.content and b"email" not in response.content


def test_it_leaves_out_removed_racers(as_alice, race, joined, charlie):
    Participant.objects.create(race=race, user=charlie, removed_at=timezone.now())
    assert [r[0] for r in rows(as_alice.get(f"/races/{race.pk}/racers.csv"))] == ["alias", "BobTheRacer"]


def test_it_writes_just_the_header_without_racers(as_alice, race):
    assert len(rows(as_alice.get(f"/races/{race.pk}/racers.csv"))) == 1


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    assert as_bob.get(f"/races/{race.pk}/racers.csv").status_code == 403
    response = as_mallory.get(f"/races/{race.pk}/racers.csv")
    assert response.status_code == 404 and b"bob@example.org" not in response.content


def test_it_neutralises_spreadsheet_formulas(as_alice, race, db):
    # An e-mail address may legally start with "=" or "+": a spreadsheet would run it as a formula.
    from tests.scenes import make_user

    for name, email in (("eve", "=1+2@example.org"), ("zed", "+cmd@example.org")):
        user = make_user(name, alias=f"{name.title()}Racer")
        user.email = email
        user.save()
        Participant.objects.create(race=race, user=user)
    emails = [row[1] for row in rows(as_alice.get(f"/races/{race.pk}/racers.csv"))[1:]]
    assert emails == ["'=1+2@example.org", "'+cmd@example.org"]
