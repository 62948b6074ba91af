"""The rules of sponsored racers (races.sponsorship): what a sponsorship counts and the one
quota check entering asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from races import sponsorship as rules
from races.models import RacerProfile, Run, Sponsorship


def sim_run(race, racer, minutes: float, *, created=None, state=Run.State.FINISHED, source=Run.Source.SIM):
    started = (created or timezone.now()) + timedelta(seconds=1)
    run = Run.objects.create(race=race, racer=racer, state=state, source=source, started_at=started,
                             ended_at=started + timedelta(minutes=minutes) if state != "running" else None)
    if created is not None:
        Run.objects.filter(pk=run.pk).update(created_at=created)
    return run


@pytest.fixture
def sponsored(alice, bob):
    offer = rules.invite(alice, "bob@example.org", submission_quota=3, minutes_quota=10)
    rules.accept(offer)
    return offer


def test_it_offers_by_email_or_alias(alice, bob, charlie):
    assert rules.invite(alice, "BOB@example.org", 5, 60).racer == bob
    assert rules.invite(alice, "charliec", 5, 60).racer == charlie  # aliases ignore case


def test_it_refuses_an_unknown_racer_yourself_and_a_second_sponsor(alice, bob, charlie):
    with pytest.raises(ValidationError) as unknown:
        rules.invite(alice, "nobody@example.com", 5, 60)
    assert unknown.value.message_dict == {"racer": ["No racer has that e-mail address or alias."]}
    with pytest.raises(ValidationError, match="cannot sponsor yourself"):
        rules.invite(alice, "AliceRaces", 5, 60)
    rules.invite(alice, "BobTheRacer", 5, 60)
    with pytest.raises(ValidationError, match="already has a sponsor"):
        rules.invite(charlie, "BobTheRacer", 5, 60)
    assert Sponsorship.objects.filter(racer=bob).count() == 1


@pytest.mark.parametrize("field, value", [("submission_quota", 0), ("submission_quota", 10_001),
                                          ("minutes_quota", 0), ("minutes_quota", 100_001)])
def test_it_bounds_the_quotas(alice, bob, field, value):
    quotas = {"submission_quota": 5, "minutes_quota": 60, field: value}
    with pytest.raises(ValidationError) as error:
        rules.invite(alice, "BobTheRacer", **quotas)
    assert field in error.value.message_dict
    assert not Sponsorship.objects.exists()


def test_it_counts_classic_submissions_and_every_simulated_minute(race, live_race, bob, sponsored):
    sim_run(race, bob, 2.5)
    sim_run(race, bob, 1.5)
    sim_run(live_race, bob, 3)  # a LIVE turn: minutes, not a submission
    sim_run(race, bob, 4, source=Run.Source.TIMER)  # a physical car costs the sponsor nothing
    used = rules.usage(sponsored)
    assert (used.submissions, used.minutes) == (2, 7.0)
    assert (used.submissions_left, used.minutes_left) == (1, 3.0)


def test_it_counts_only_from_acceptance_to_the_end(race, alice, bob):
    offer = rules.invite(alice, "BobTheRacer", 5, 60)
    sim_run(race, bob, 1)  # before accepting
    rules.accept(offer)
    sim_run(race, bob, 2)
    rules.end(offer)
    sim_run(race, bob, 4, created=timezone.now() + timedelta(seconds=5))  # after the end
    assert rules.usage(offer).submissions == 1 and rules.usage(offer).minutes == 2.0


def test_a_pending_offer_applies_no_quota(race, alice, bob):
    rules.invite(alice, "BobTheRacer", 1, 1)
    sim_run(race, bob, 5)
    assert rules.quota_refusal(bob) is None


def test_it_refuses_when_submissions_are_used_up(race, bob, sponsored):
    for _ in range(3):
        assert rules.quota_refusal(bob) is None
        sim_run(race, bob, 0.5)
    assert rules.quota_refusal(bob) == ("Your sponsor's quota of 3 submissions is used up (3 made). "
                                        "Ask your sponsor to raise it.")
    rules.set_quotas(sponsored, 4, 10)
    assert rules.quota_refusal(bob) is None


def test_it_refuses_when_minutes_are_used_up(race, bob, sponsored):
    sim_run(race, bob, 10)
    assert "10 evaluation minutes are used up" in rules.quota_refusal(bob)


def test_a_running_evaluation_counts_up_to_now(race, bob, sponsored):
    run = sim_run(race, bob, 0, state="running")
    Run.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=11))
    assert rules.usage(sponsored).minutes >= 10.9


def test_an_unsponsored_racer_has_no_quota(race, charlie):
    sim_run(race, charlie, 500)
    assert rules.quota_refusal(charlie) is None


def test_ending_keeps_the_racer_profile(bob, sponsored):
    rules.end(sponsored)
    assert RacerProfile.objects.get(user=bob).alias == "BobTheRacer"
    assert rules.quota_refusal(bob) is None
