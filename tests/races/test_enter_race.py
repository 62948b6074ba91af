"""Entering a model in a LIVE race from its page: participants only, while entries are open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from races.garage import Entry, reference_model
from races.garage import enter_race as garage_enter
from races.models import Participant

from .helpers import make_race
from .model_packages import live_race, store


@pytest.fixture
def live(alice, pro_track):
    return live_race(alice, pro_track)


@pytest.fixture
def racing(live, bob):
    """bob joined alice's LIVE race."""
    return Participant.objects.create(race=live, user=bob)


@pytest.fixture
def speedy(bob):
    return store(bob, "Speedy")


def enter(client, race, model_id):
    return client.post(f"/races/{race.pk}/entry/", {"model": str(model_id)}, follow=True)


def test_a_participant_enters_a_ready_model(as_bob, bob, live, racing, speedy):
    steady = reference_model(bob, "Steady", temperament="cautious")
    page = as_bob.get(f"/races/{live.pk}/").content.decode()
    assert 'id="entry"' in page and "Enter race" in page and "No model entered yet." in page
    assert f'<option value="{speedy.pk}">Speedy</option>' in page
    assert f'<option value="{steady.pk}">Steady</option>' in page

    response = enter(as_bob, live, speedy.pk)
    assert response.redirect_chain == [(f"/races/{live.pk}/", 302)]
    entry = Entry.objects.get()
    assert (entry.race, entry.user, entry.participant, entry.racer_model) == (live, bob, racing, speedy)
    assert entry.status == "ok"
    body = response.content.decode()
    assert "Speedy is entered in Alice LIVE." in body
    assert "Entered: <strong>Speedy</strong>" in body and "Replace entry" in body
    assert f"Entered: Speedy at {timezone.localtime(entry.entered_at):%Y-%m-%d %H:%M} UTC." in body


def test_entering_again_replaces_the_entry(as_bob, bob, live, racing, speedy):
    enter(as_bob, live, speedy.pk)
    first = Entry.objects.get()
    steady = reference_model(bob, "Steady")
    enter(as_bob, live, steady.pk)
    entry = Entry.objects.get()
    assert entry.pk == first.pk and entry.racer_model == steady
    assert entry.entered_at >= first.entered_at
    assert racing.submission_status.startswith("Entered: Steady at ")


def test_replacing_the_model_keeps_the_racers_place_in_the_queue(as_bob, bob, charlie, live, racing, speedy):
    from races.lineup import queue

    enter(as_bob, live, speedy.pk)
    Participant.objects.create(race=live, user=charlie)
    garage_enter(live, charlie, reference_model(charlie, "Brisk", temperament="brisk"))
    assert [row["user_id"] for row in queue(live)] == [bob.pk, charlie.pk]
    enter(as_bob, live, reference_model(bob, "Steady").pk)  # a different model, later
    rows = queue(live)
    assert [(row["user_id"], row["model"]) for row in rows] == [(bob.pk, "Steady"), (charlie.pk, "Brisk")]
    assert Entry.objects.get(user=bob).entered_at > Entry.objects.get(user=charlie).entered_at


def test_entries_closed_are_refused_and_the_page_says_so(as_bob, live, racing, speedy):
    enter(as_bob, live, speedy.pk)
    before = Entry.objects.get()
    live.entries_open = False
    live.save()
    page = as_bob.get(f"/races/{live.pk}/").content.decode()
    assert "Model entries are closed." in page and "Enter race" not in page and "Replace entry" not in page
    other = store(racing.user, "Other")
    response = enter(as_bob, live, other.pk)
    assert "Model entries are closed." in [str(m) for m in response.context["messages"]]
    after = Entry.objects.get()
    assert (after.racer_model, after.entered_at) == (before.racer_model, before.entered_at)


def test_a_closed_race_takes_no_entries(as_bob, live, racing, speedy):
    live.close()
    response = enter(as_bob, live, speedy.pk)
    assert "The race is closed." in [str(m) for m in response.context["messages"]]
    assert not Entry.objects.exists()


def test_a_stranger_gets_404(as_mallory, mallory, live, racing):
    own = store(mallory, "Mine")
    assert as_mallory.get(f"/races/{live.pk}/").status_code == 404
    assert as_mallory.post(f"/races/{live.pk}/entry/", {"model": own.pk}).status_code == 404
    assert not Entry.objects.exists()


def test_a_removed_racer_gets_404(as_bob, live, racing, speedy):
    racing.removed_at = timezone.now()
    racing.save()
    assert as_bob.post(f"/races/{live.pk}/entry/", {"model": speedy.pk}).status_code == 404
    assert not Entry.objects.exists()


def test_another_racers_model_cannot_be_used(as_bob, live, racing, charlie):
    Participant.objects.create(race=live, user=charlie)
    theirs = store(charlie, "Theirs")
    assert as_bob.post(f"/races/{live.pk}/entry/", {"model": theirs.pk}).status_code == 404
    assert not Entry.objects.exists()


def test_an_unknown_or_missing_model_is_refused(as_bob, live, racing):
    assert as_bob.post(f"/races/{live.pk}/entry/", {"model": "999999"}).status_code == 404
    response = as_bob.post(f"/races/{live.pk}/entry/", {}, follow=True)
    assert "Choose one of your models." in [str(m) for m in response.context["messages"]]
    assert not Entry.objects.exists()


def test_a_rejected_model_cannot_be_entered(as_bob, live, racing, speedy):
    speedy.reject("model.npz cannot be read")
    page = as_bob.get(f"/races/{live.pk}/").content.decode()
    assert "You have no ready model" in page and 'href="/models/"' in page
    response = enter(as_bob, live, speedy.pk)
    assert "Speedy was rejected: model.npz cannot be read" in [str(m) for m in response.context["messages"]]
    assert not Entry.objects.exists()


def test_the_organizer_races_only_after_joining(as_alice, alice, live):
    mine = reference_model(alice, "Organizer car")
    page = as_alice.get(f"/races/{live.pk}/").content.decode()
    assert 'id="entry"' not in page
    response = enter(as_alice, live, mine.pk)
    assert "Join the race to enter a model." in [str(m) for m in response.context["messages"]]
    assert not Entry.objects.exists()

    Participant.objects.create(race=live, user=alice)
    enter(as_alice, live, mine.pk)
    assert Entry.objects.get().user == alice


def test_a_link_holder_must_join_first(as_charlie, charlie, live):
    mine = reference_model(charlie, "Mine")
    as_charlie.get(f"/join/{live.invite_token}/")  # holds the link, has not joined
    assert as_charlie.get(f"/races/{live.pk}/").status_code == 200
    response = enter(as_charlie, live, mine.pk)
    assert "Join the race to enter a model." in [str(m) for m in response.context["messages"]]
    assert not Entry.objects.exists()


def test_classic_races_have_no_live_entry_panel(as_bob, race, joined, speedy, monkeypatch):
    """A Classic race takes submissions instead (tests/races/test_classic_enter.py)."""
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", lambda run_id: None)
    assert 'id="entry"' not in as_bob.get(f"/races/{race.pk}/").content.decode()
    enter(as_bob, race, speedy.pk)
    assert not Entry.objects.exists()


def test_entries_open_before_the_start(as_bob, alice, bob, pro_track):
    later = make_race(alice, pro_track, name="Tonight", format="live",
                      start_at=timezone.now() + timedelta(hours=3))
    Participant.objects.create(race=later, user=bob)
    model = reference_model(bob, "Steady")
    enter(as_bob, later, model.pk)
    assert Entry.objects.get().race == later


def test_entering_needs_a_post(as_bob, live, racing):
    assert as_bob.get(f"/races/{live.pk}/entry/").status_code == 405
