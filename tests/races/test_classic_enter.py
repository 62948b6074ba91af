"""Entering a Classic race (races/evaluation.py, the race page and *Your models*): a racer
submits any number of times between the start and the close; before the start, after the close,
after being removed, with a rejected or someone else's model the entry is refused with the
reason and nothing is saved; the request only queues the evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from races.evaluation import enter_classic
from races.evaluation_models import Evaluation
from races.garage import reference_model
from races.run_models import Run


@pytest.fixture
def steady(bob):
    return reference_model(bob, "Steady", temperament="steady")


@pytest.fixture(autouse=True)
def jobs_do_not_run(settings, monkeypatch):
    """The evaluation job is dispatched, not run: these tests are about the entry."""
    dispatched = []
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", dispatched.append)
    settings.JOBS = "inline"
    return dispatched


def enter(client, race, model_id):
    return client.post(f"/races/{race.pk}/entry/", {"model": str(model_id)}, follow=True)


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_racer_enters_from_the_race_page_and_the_evaluation_is_queued(as_bob, race, joined, steady,
                                                                        jobs_do_not_run):
    page = as_bob.get(f"/races/{race.pk}/").content.decode()
    assert 'id="enter-form"' in page and "Enter race" in page and "No submissions yet." in page
    response = enter(as_bob, race, steady.pk)
    assert response.redirect_chain == [(f"/races/{race.pk}/", 302)]
    run = Run.objects.get()
    assert (run.race, run.racer, run.racer_model, run.source, run.state) == (
        race, joined.user, steady, "eval", "queued")
    assert Evaluation.objects.get(run=run).trials == race.trials == 3
    assert jobs_do_not_run == [run.pk]
    assert said(response) == ["Steady is entered in Alice Cup: its evaluation is queued (3 trials)."]
    assert "Race again" in response.content.decode()


def test_a_racer_enters_again_any_number_of_times(as_bob, race, joined, steady):
    for _ in range(3):
        enter(as_bob, race, steady.pk)
    assert Run.objects.filter(race=race, source="eval").count() == 3
    assert Evaluation.objects.count() == 3


def test_evaluations_of_a_race_may_run_at_once(bob, race, joined, steady):
    """The LIVE rule of one run on track at a time is not a Classic rule."""
    runs = [enter_classic(race, bob, steady) for _ in range(2)]
    Run.objects.filter(pk__in=[r.pk for r in runs]).update(state="running")
    assert Run.objects.filter(state="running").count() == 2


def test_entering_before_the_start_is_refused_with_the_reason(as_bob, race, joined, steady):
    race.start_at = timezone.now() + timedelta(days=1)
    race.save()
    page = as_bob.get(f"/races/{race.pk}/").content.decode()
    assert "enter from then on." in page and 'id="enter-form"' not in page
    response = enter(as_bob, race, steady.pk)
    assert said(response) == [f"The race opens on {race.start_at:%b %-d, %Y %H:%M} UTC: enter from then on."]
    assert not Run.objects.exists() and not Evaluation.objects.exists()


def test_entering_after_the_close_is_refused_with_the_reason(as_bob, race, joined, steady):
    race.close()
    response = enter(as_bob, race, steady.pk)
    assert said(response) == [f"The race closed on {race.closed_at:%b %-d, %Y %H:%M} UTC: it takes no more entries."]
    assert not Run.objects.exists()


def test_entering_after_the_end_date_is_refused(as_bob, race, joined, steady):
    race.end_at = timezone.now() - timedelta(minutes=1)
    race.save()
    assert "it takes no more entries" in said(enter(as_bob, race, steady.pk))[0]
    assert not Run.objects.exists()


def test_a_removed_racer_is_refused_from_your_models_with_the_reason(as_bob, race, removed, steady):
    response = as_bob.post(f"/models/{steady.pk}/enter/", {"race": str(race.pk)}, follow=True)
    assert said(response) == ["You were removed from this race: you can no longer enter it."]
    assert not Run.objects.exists()


def test_a_removed_racer_gets_404_from_the_race_page(as_bob, race, removed, steady):
    assert as_bob.post(f"/races/{race.pk}/entry/", {"model": str(steady.pk)}).status_code == 404
    assert not Run.objects.exists()


def test_the_removal_is_seen_by_an_entry_that_raced_it(bob, race, joined, steady):
    """The entry reads the participant under the race lock: removed is removed."""
    joined.removed_at = timezone.now()
    joined.save()
    with pytest.raises(Exception, match="You were removed from this race"):
        enter_classic(race, bob, steady)
    assert not Run.objects.exists()


def test_a_rejected_model_is_refused_with_its_reason(as_bob, race, joined, steady):
    steady.reject("the weights do not load")
    response = enter(as_bob, race, steady.pk)
    assert said(response) == ["Steady was rejected: the weights do not load"]
    assert not Run.objects.exists()


def test_someone_elses_model_is_not_found(as_bob, race, joined, charlie):
    theirs = reference_model(charlie, "Brisk")
    assert as_bob.post(f"/races/{race.pk}/entry/", {"model": str(theirs.pk)}).status_code == 404
    assert not Run.objects.exists()


def test_no_model_chosen_says_so(as_bob, race, joined):
    assert said(enter(as_bob, race, "")) == ["Choose one of your models."]


def test_a_link_holder_must_join_first(link_holder, race, charlie):
    mine = reference_model(charlie, "Brisk")
    response = link_holder.post(f"/races/{race.pk}/entry/", {"model": str(mine.pk)}, follow=True)
    assert said(response) == ["Join the race to enter a model."]
    assert not Run.objects.exists()


def test_a_stranger_gets_404(as_mallory, race, mallory):
    mine = reference_model(mallory, "Mine")
    assert as_mallory.post(f"/races/{race.pk}/entry/", {"model": str(mine.pk)}).status_code == 404
    response = as_mallory.post(f"/models/{mine.pk}/enter/", {"race": str(race.pk)}, follow=True)
    assert said(response) == ["Choose one of your races."]
    assert not Run.objects.exists()


def test_your_models_offers_the_open_classic_races_and_enters(as_bob, race, joined, steady):
    page = as_bob.get("/models/").content.decode()
    assert f'<option value="{race.pk}">Alice Cup</option>' in page
    response = as_bob.post(f"/models/{steady.pk}/enter/", {"race": str(race.pk)}, follow=True)
    assert response.redirect_chain == [(f"/races/{race.pk}/", 302)]
    assert Run.objects.get().racer_model == steady


def test_your_models_does_not_offer_a_closed_race(as_bob, race, joined, steady):
    race.close()
    assert f'value="{race.pk}"' not in as_bob.get("/models/").content.decode()


def test_your_models_offers_every_race_the_racer_may_enter_now(as_bob, alice, bob, race, joined, steady,
                                                                 tracks):
    """The race page's rule, not a copy: a LIVE race opening soon takes entries (DOMAIN.md 1-2),
    a Classic one opening soon does not, nor a LIVE race whose entries are closed."""
    from races.garage import Entry
    from races.models import Participant

    from .helpers import make_race

    track = tracks.filter(closed=True).first()
    soon = timezone.now() + timedelta(hours=2)
    live_soon = make_race(alice, track, name="Friday LIVE", format="live", start_at=soon)
    classic_soon = make_race(alice, track, name="Next Cup", start_at=soon)
    live_closed_entries = make_race(alice, track, name="Closed Entries LIVE", format="live", start_at=soon,
                                    entries_open=False)
    for other in (live_soon, classic_soon, live_closed_entries):
        Participant.objects.create(race=other, user=bob)
    page = as_bob.get("/models/").content.decode()
    assert f'<option value="{race.pk}">Alice Cup</option>' in page
    assert f'<option value="{live_soon.pk}">Friday LIVE (LIVE)</option>' in page
    assert f'value="{classic_soon.pk}"' not in page and f'value="{live_closed_entries.pk}"' not in page

    response = as_bob.post(f"/models/{steady.pk}/enter/", {"race": str(live_soon.pk)}, follow=True)
    assert response.redirect_chain == [(f"/races/{live_soon.pk}/", 302)]
    assert said(response) == ["Steady is entered in Friday LIVE."]
    assert Entry.objects.get(race=live_soon).racer_model == steady and not Run.objects.exists()
    refused = as_bob.post(f"/models/{steady.pk}/enter/", {"race": str(classic_soon.pk)}, follow=True)
    assert said(refused)[0].startswith("The race opens on ") and not Run.objects.exists()


def test_a_queue_that_cannot_take_the_job_fails_the_submission_with_the_reason(
        transactional_db, bob, race, joined, steady, monkeypatch):
    from config.jobs import DispatchError
    from races.evaluation import enter_or_explain

    def unreachable(run_id):
        from django.db import transaction

        def hand_over():
            raise DispatchError("Redis cannot be reached")
        transaction.on_commit(hand_over)

    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", unreachable)
    monkeypatch.setattr("races.evaluation._publish_quietly", lambda *a: None)
    with pytest.raises(Exception, match="could not be queued"):
        enter_or_explain(race, bob, steady)
    run = Run.objects.get()
    assert (run.state, run.failure) == ("failed", "the evaluation queue could not be reached")


def test_the_racer_status_counts_the_submissions(as_bob, race, joined, steady):
    assert joined.submission_status == "No model submitted"
    enter(as_bob, race, steady.pk)
    enter(as_bob, race, steady.pk)
    latest = Run.objects.latest("created_at")
    assert joined.submission_status == (
        f"2 submissions, the latest Steady at {timezone.localtime(latest.created_at):%Y-%m-%d %H:%M} UTC")


def test_a_sponsored_racer_over_the_quota_is_refused_and_nothing_saved(as_bob, alice, bob, race,
                                                                       joined, steady):
    from races import sponsorship

    offer = sponsorship.invite(alice, "BobTheRacer", 2, 60)
    sponsorship.accept(offer)
    enter(as_bob, race, steady.pk)
    enter(as_bob, race, steady.pk)
    assert sponsorship.usage(offer).submissions == 2  # Classic submissions count
    page = as_bob.get(f"/races/{race.pk}/").content.decode()
    assert "quota of 2 submissions is used up (2 made)" in page and 'id="enter-form"' not in page
    response = enter(as_bob, race, steady.pk)
    assert said(response) == ["Your sponsor's quota of 2 submissions is used up (2 made). "
                              "Ask your sponsor to raise it."]
    assert Run.objects.count() == 2
