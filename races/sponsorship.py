"""Sponsored racers: inviting, accepting and ending a sponsorship, the usage it counts, and the
one quota check that entering a race asks (`quota_refusal`).

What a sponsorship counts, from its acceptance to its end:
- submissions: simulator runs in Classic races (each *Enter race* / *Race again* is one);
- evaluation minutes: the simulated time of every simulator run, Classic evaluations and LIVE
  turns alike, from its start to its end (a run still going counts up to now).
A run a sponsor already paid for keeps counting after a quota is lowered; the quota only refuses
the next submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import RacerProfile, Run, Sponsorship


@dataclass(frozen=True)
class Usage:
    submissions: int
    minutes: float
    submission_quota: int
    minutes_quota: int

    @property
    def submissions_left(self) -> int:
        return max(0, self.submission_quota - self.submissions)

    @property
    def minutes_left(self) -> float:
        return max(0.0, round(self.minutes_quota - self.minutes, 1))


def racer_for(identifier: str):
    """The account an e-mail address or a racer alias names, or None."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        return get_user_model().objects.filter(email__iexact=identifier).first()
    profile = RacerProfile.objects.select_related("user").filter(alias__iexact=identifier).first()
    return profile.user if profile else None


def invite(sponsor, identifier: str, submission_quota: int, minutes_quota: int) -> Sponsorship:
    """Offer to sponsor the racer named by e-mail or alias; they accept on their profile page."""
    racer = racer_for(identifier)
    if racer is None:
        raise ValidationError({"racer": "No racer has that e-mail address or alias."})
    if racer == sponsor:
        raise ValidationError({"racer": "You cannot sponsor yourself."})
    sponsorship = Sponsorship(sponsor=sponsor, racer=racer, submission_quota=submission_quota,
                              minutes_quota=minutes_quota)
    sponsorship.full_clean(exclude=["sponsor", "racer"])
    try:
        with transaction.atomic():
            sponsorship.save()
    except IntegrityError:  # the partial unique constraint: one open sponsorship per racer
        raise ValidationError({"racer": "This racer already has a sponsor (or an offer pending)."}) from None
    return sponsorship


def accept(sponsorship: Sponsorship) -> None:
    if not sponsorship.is_pending:
        raise ValidationError("This sponsorship offer is no longer open.")
    sponsorship.accepted_at = timezone.now()
    sponsorship.save(update_fields=["accepted_at"])


def end(sponsorship: Sponsorship) -> None:
    """Stop (or decline) a sponsorship: the racer keeps alias, profile, models and results."""
    if sponsorship.ended_at is None:
        sponsorship.ended_at = timezone.now()
        sponsorship.save(update_fields=["ended_at"])


def set_quotas(sponsorship: Sponsorship, submission_quota: int, minutes_quota: int) -> None:
    sponsorship.submission_quota = submission_quota
    sponsorship.minutes_quota = minutes_quota
    sponsorship.full_clean(exclude=["sponsor", "racer"])
    sponsorship.save(update_fields=["submission_quota", "minutes_quota"])


def _minutes(started: datetime | None, ended: datetime | None, now: datetime) -> float:
    if started is None:
        return 0.0
    return max(0.0, ((ended or now) - started).total_seconds() / 60)


def usage(sponsorship: Sponsorship, now: datetime | None = None) -> Usage:
    now = now or timezone.now()
    runs = Run.objects.filter(racer_id=sponsorship.racer_id,
                              source__in=(Run.Source.SIM, Run.Source.EVALUATION))
    if sponsorship.accepted_at is None:
        runs = runs.none()
    else:
        runs = runs.filter(created_at__gte=sponsorship.accepted_at)
        if sponsorship.ended_at is not None:
            runs = runs.filter(created_at__lt=sponsorship.ended_at)
    submissions = 0
    minutes = 0.0
    for race_format, started, ended in runs.values_list("race__format", "started_at", "ended_at"):
        submissions += race_format == "classic"
        minutes += _minutes(started, ended, now)
    return Usage(submissions, round(minutes, 1), sponsorship.submission_quota, sponsorship.minutes_quota)


def active_sponsorship(racer) -> Sponsorship | None:
    return Sponsorship.objects.filter(racer=racer, accepted_at__isnull=False, ended_at__isnull=True).first()


def quota_refusal(racer) -> str | None:
    """Why this racer may not submit another evaluation on their sponsor's account, or None."""
    sponsorship = active_sponsorship(racer)
    if sponsorship is None:
        return None
    used = usage(sponsorship)
    if used.submissions_left <= 0:
        return (f"Your sponsor's quota of {used.submission_quota} submissions is used up "
                f"({used.submissions} made). Ask your sponsor to raise it.")
    if used.minutes_left <= 0:
        return (f"Your sponsor's {used.minutes_quota} evaluation minutes are used up "
                f"({used.minutes:g} used). Ask your sponsor to raise the quota.")
    return None


def display_name(user) -> str:
    """A racer as their sponsor sees them: the alias, else the account."""
    profile = RacerProfile.objects.filter(user=user).first()
    return profile.alias if profile else (user.email or user.get_username())


def profile_context(user) -> dict:
    """The racer's open sponsorship (offer or accepted) and its usage, for the profile page."""
    offer = Sponsorship.objects.filter(racer=user, ended_at__isnull=True).select_related("sponsor").first()
    return {
        "sponsorship": offer,
        "sponsor_name": display_name(offer.sponsor) if offer else "",
        "sponsorship_usage": usage(offer) if offer and offer.is_active else None,
    }
