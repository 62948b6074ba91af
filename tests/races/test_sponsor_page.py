"""The sponsor's page (/sponsor/) and the racer's answer on their profile page."""

from __future__ import annotations

from races import sponsorship as rules
from races.models import RacerProfile, Sponsorship


def offer(as_alice, racer="BobTheRacer", submissions="5", minutes="60"):
    return as_alice.post("/sponsor/", {"racer": racer, "submission_quota": submissions, "minutes_quota": minutes})


def test_it_works(as_alice, as_bob, bob):
    response = offer(as_alice)
    assert response.status_code == 302
    sponsorship = Sponsorship.objects.get(racer=bob)
    assert sponsorship.is_pending
    profile = as_bob.get("/profile/")
    assert b"offers to sponsor your evaluations" in profile.content
    assert as_bob.post(f"/sponsorship/{sponsorship.pk}/accept/").status_code == 302
    sponsorship.refresh_from_db()
    assert sponsorship.is_active
    page = as_alice.get("/sponsor/")
    assert page.status_code == 200
    row = page.context["rows"][0]
    assert row[0] == sponsorship and row[1].submissions_left == 5 and row[1].minutes_left == 60
    assert b"BobTheRacer" in page.content and b"Active" in page.content


def test_it_validates_each_field(as_alice):
    response = offer(as_alice, racer="nobody@example.com", submissions="0", minutes="many")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "submission_quota" in errors and "minutes_quota" in errors
    response = offer(as_alice, racer="nobody@example.com")
    assert response.context["form"].errors["racer"] == ["No racer has that e-mail address or alias."]
    assert not Sponsorship.objects.exists()


def test_it_updates_quotas_and_ends(as_alice, bob):
    offer(as_alice)
    sponsorship = Sponsorship.objects.get(racer=bob)
    prefix = f"s{sponsorship.pk}"
    as_alice.post(f"/sponsor/{sponsorship.pk}/quotas/", {f"{prefix}-submission_quota": "9", f"{prefix}-minutes_quota": "90"})
    sponsorship.refresh_from_db()
    assert (sponsorship.submission_quota, sponsorship.minutes_quota) == (9, 90)
    refused = as_alice.post(f"/sponsor/{sponsorship.pk}/quotas/", {f"{prefix}-submission_quota": "-1", f"{prefix}-minutes_quota": "90"}, follow=True)
    assert any("Submission quota" in str(m) for m in refused.context["messages"])
    sponsorship.refresh_from_db()
    assert sponsorship.submission_quota == 9
    as_alice.post(f"/sponsor/{sponsorship.pk}/end/")
    sponsorship.refresh_from_db()
    assert sponsorship.ended_at is not None
    assert RacerProfile.objects.get(user=bob).alias == "BobTheRacer"


def test_it_validates_ownership(as_alice, as_charlie, as_bob, bob):
    offer(as_alice)
    sponsorship = Sponsorship.objects.get(racer=bob)
    # Another account can neither change, end nor answer it.
    assert as_charlie.post(f"/sponsor/{sponsorship.pk}/quotas/", {}).status_code == 404
    assert as_charlie.post(f"/sponsor/{sponsorship.pk}/end/").status_code == 404
    assert as_charlie.post(f"/sponsorship/{sponsorship.pk}/accept/").status_code == 404
    assert as_alice.post(f"/sponsorship/{sponsorship.pk}/accept/").status_code == 404  # the sponsor cannot accept for the racer
    assert as_bob.post(f"/sponsorship/{sponsorship.pk}/sell/").status_code == 404
    sponsorship.refresh_from_db()
    assert sponsorship.is_pending


def test_the_racer_can_decline_or_leave(as_alice, as_bob, bob):
    offer(as_alice)
    first = Sponsorship.objects.get(racer=bob)
    as_bob.post(f"/sponsorship/{first.pk}/decline/")
    first.refresh_from_db()
    assert first.ended_at is not None and first.accepted_at is None
    offer(as_alice)
    second = Sponsorship.objects.get(racer=bob, ended_at__isnull=True)
    as_bob.post(f"/sponsorship/{second.pk}/accept/")
    as_bob.post(f"/sponsorship/{second.pk}/leave/")
    assert rules.active_sponsorship(bob) is None


def test_it_requires_login(client):
    assert client.get("/sponsor/").status_code == 302
