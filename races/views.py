"""Pages of the community and student races: list, wizard, manage, invitations, joining."""

from __future__ import annotations

import csv
import secrets

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leaderboard.board_views import board_context
from leaderboard.templatetags.race_cards import prefetch_cards

from . import access, lineup, live_control, sponsorship
from .access import race_view
from .classic_views import classic_context
from .forms import (
    CUSTOMIZATION_DEFAULTS,
    CUSTOMIZATION_FIELDS,
    DETAIL_FIELDS,
    PLACEMENT_FIELDS,
    CountryForm,
    EmailForm,
    ProfileForm,
    RaceForm,
    SignupForm,
    wizard_step_of,
)
from .garage_views import entry_context
from .invitations import CLOSED_MESSAGE, invitation_url, is_shareable, qr_svg, suggested_email
from .models import Participant, Race, RacerProfile, Track

WIZARD_SESSION = "race_wizards"
WIZARDS_KEPT = 5
WIZARD_STEPS = {1: "details", 2: "customize", 3: "review"}


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        user = get_user_model().objects.create_user(
            username=email, email=email, password=form.cleaned_data["password"]
        )
        login(request, user, backend="races.auth.EmailOrUsernameBackend")
        return redirect(_safe_next(request) or "profile")
    return render(request, "registration/signup.html", {"form": form, "next": request.GET.get("next", "")})


def _safe_next(request) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@login_required
def profile(request):
    racer = RacerProfile.objects.filter(user=request.user).first()
    if racer is None:
        form = ProfileForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            racer = form.save(commit=False)
            racer.user = request.user
            racer.save()
            messages.success(request, f"Welcome, {racer.alias}!")
            return redirect(_safe_next(request) or "home")
        return render(request, "races/profile_new.html", {"form": form, "next": request.GET.get("next", "")})
    form = CountryForm(request.POST or None, initial={"country": racer.country})
    if request.method == "POST":
        if not racer.can_change_country():
            form.add_error("country", "The country can change once per season; try again next year.")
        elif form.is_valid():
            racer.country = form.cleaned_data["country"]
            racer.country_set_at = timezone.now()
            racer.save(update_fields=["country", "country_set_at"])
            messages.success(request, "Country saved.")
            return redirect("profile")
    context = {"racer": racer, "form": form, **sponsorship.profile_context(request.user)}
    return render(request, "races/profile.html", context)


@login_required
def home(request):
    races = (
        Race.objects.visible_to(request.user).with_run_on_track()
        .select_related("track", "organizer").order_by("start_at")
    )
    races = list(races)
    context = {"races": races, "now": timezone.now(), "cards": prefetch_cards(races, request.user)}
    return render(request, "races/home.html", context)


@login_required
def manage(request):
    races = (
        Race.objects.filter(organizer=request.user)
        .with_run_on_track()
        .select_related("track")
        .annotate(racer_count=Count("participants", filter=Q(participants__removed_at__isnull=True)))
        .order_by("-start_at")
    )
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if query:
        races = races.filter(Q(name__icontains=query) | Q(track__name__icontains=query))
    if status in Race.Status.values:
        races = races.in_status(status)
    return render(
        request, "races/manage.html",
        {"races": races, "q": query, "status": status, "statuses": Race.Status.choices},
    )


# -- the creation wizard -------------------------------------------------------------------
# Each wizard has its own id (in its URLs), and its draft is kept in the session under that id:
# two tabs creating two races never see each other's draft. Only the WIZARDS_KEPT most recently
# used drafts are kept, so the session stays small however many wizards are left unfinished.

def _drafts(request) -> dict:
    """{wizard id: draft}, least recently used first (JSON keeps the order of the keys)."""
    return dict(request.session.get(WIZARD_SESSION) or {})


def _load_draft(request, wizard: str | None) -> dict | None:
    """The wizard's draft so far; {} for a wizard not started yet, None for one not kept."""
    if wizard is None:
        return {}
    draft = _drafts(request).get(wizard)
    return None if draft is None else dict(draft)


def _save_draft(request, wizard: str, data: dict) -> None:
    drafts = _drafts(request)
    drafts.pop(wizard, None)
    drafts[wizard] = data  # last: the most recently used
    request.session[WIZARD_SESSION] = dict(list(drafts.items())[-WIZARDS_KEPT:])


def _drop_draft(request, wizard: str) -> None:
    drafts = _drafts(request)
    drafts.pop(wizard, None)
    request.session[WIZARD_SESSION] = drafts


def _wizard_form(request, data: dict, files=None) -> RaceForm:
    merged = {**CUSTOMIZATION_DEFAULTS, **data}
    form = RaceForm(merged, files, organizer=request.user)
    flavour = merged.get("flavour") or Race.Flavour.COMMUNITY
    if flavour == Race.Flavour.STUDENT:
        form.fields["track"].queryset = Track.objects.filter(student=True)
    return form


def _step_fields(step: int) -> list[str]:
    fields = DETAIL_FIELDS if step == 1 else CUSTOMIZATION_FIELDS
    if step == 2:
        fields = fields + PLACEMENT_FIELDS
    return fields


@login_required
def race_create(request, wizard: str | None = None, step: int = 1):
    """One wizard's step: `/races/new/` starts a wizard (its first POST gives it an id), then
    `/races/new/<wizard>/<step>/` shows and takes that wizard's steps."""
    if step not in WIZARD_STEPS:
        raise Http404("The race wizard has three steps.")
    data = _load_draft(request, wizard)
    if data is None or (step > 1 and not data):
        if data is None:
            messages.info(request, "That race draft is no longer kept: start again.")
        return redirect("race_create")
    if request.method == "POST":
        return _wizard_post(request, wizard or secrets.token_urlsafe(8), step, data)
    form = _wizard_form(request, data) if data else RaceForm(initial=_initial(), organizer=request.user)
    if data:
        form.is_valid()
        if step < 3:
            form._errors = {f: e for f, e in form.errors.items() if f in _step_fields(step)}
    return render(request, "races/wizard.html", _wizard_context(form, step, wizard, fresh=not data))


def _wizard_post(request, wizard: str, step: int, data: dict):
    """Steps 1 and 2 save what was posted into this wizard's draft and move on when their own
    fields are valid; step 3 creates the race from the whole draft."""
    if step in (1, 2):
        posted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        if step == 2:  # unchecked checkboxes are absent from a POST: clear them first
            for name in ("random_objects", "lane_change"):
                data.pop(name, None)
        data.update(posted)
        _save_draft(request, wizard, data)
        form = _wizard_form(request, data)
        form.is_valid()
        step_errors = {f: e for f, e in form.errors.items() if f in _step_fields(step) or f == "__all__"}
        if not step_errors:
            return redirect("race_create_step", wizard=wizard, step=step + 1)
        return render(request, "races/wizard.html", _wizard_context(form, step, wizard))
    if "previous" in request.POST:
        return redirect("race_create_step", wizard=wizard, step=2)
    form = _wizard_form(request, data, request.FILES)
    if form.is_valid():
        with transaction.atomic():
            race = form.save()
        _drop_draft(request, wizard)
        messages.success(request, f"{race.name} is created. Share its invitation link.")
        return redirect(reverse("race_invitation", args=[race.pk]) + "?created=1")
    bad_steps = sorted({wizard_step_of(f) for f in form.errors if f not in ("image", "__all__")})
    if bad_steps and bad_steps[0] < 3:
        return render(request, "races/wizard.html", _wizard_context(form, bad_steps[0], wizard))
    return render(request, "races/wizard.html", _wizard_context(form, 3, wizard))


def _initial() -> dict:
    start = (timezone.now() + timezone.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    first_track = Track.objects.first()
    return {
        **CUSTOMIZATION_DEFAULTS,
        "flavour": "community", "format": "classic", "race_type": "tt",
        "start_at": start.strftime("%Y-%m-%dT%H:%M"),
        "end_at": (start + timezone.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "UTC", "track": first_track.pk if first_track else None,
    }


def _form_state(form: RaceForm, fresh: bool = False) -> dict:
    return {
        name: str(form[name].value() or "") for name in ("flavour", "format", "race_type")
    } | {"fresh": fresh}


def _wizard_context(form: RaceForm, step: int, wizard: str | None, fresh: bool = False) -> dict:
    return {
        "form": form, "step": step, "steps": WIZARD_STEPS, "tracks": Track.objects.defer("geometry"), "wizard": wizard,
        "form_state": _form_state(form, fresh),
    }


# -- one race --------------------------------------------------------------------------------

@race_view()
def race_detail(request, race: Race):
    organizer = access.is_organizer(request.user, race)
    participant = access.active_participant(request.user, race)
    context = {
        "race": race,
        "is_organizer": organizer,
        "participant": participant,
        # a public race's watcher may hold no link: the page must not hand out the invitation
        "link_holder": participant is None and not organizer and access.holds_link(request, race),
        "racer_count": race.participants.active().count(),
        **entry_context(request, race, participant),
        **classic_context(request, race, participant),
    }
    # The board panel: Classic races always; an open LIVE race's live view shows its own board.
    context["show_board"] = not race.is_live or race.status == Race.Status.CLOSED
    if context["show_board"]:
        context.update(board_context(request, race))
    if race.is_in_person:
        desk = getattr(race, "desk", None)  # the timekeeper's desk (timing.models.Desk), if it was used
        context.update(track_queue=lineup.queue(race), on_track=desk.turn if desk else None,
                       out_of_queue=lineup.dropped_from(race) if organizer else [])
    if race.is_live:
        opens_at = live_control.simulator_opens_at(race)
        context.update(
            live_run=live_control.active_run(race),  # first: it recovers a dead runner's run
            live_queue=lineup.queue(race),
            sim_opens_at=opens_at,
            sim_can_open=opens_at <= timezone.now() and race.status != Race.Status.CLOSED,
        )
    return render(request, "races/race_detail.html", context)


@race_view(role="organizer")
def race_edit(request, race: Race):
    form = RaceForm(request.POST or None, request.FILES or None, instance=race)
    if request.method == "POST" and form.is_valid():
        form.save()
        access.announce_change(race.pk, "race edited")  # an end moved into the past closes it
        messages.success(request, "Race details saved.")
        return redirect("race_detail", race_id=race.pk)
    return render(
        request, "races/race_edit.html",
        {"race": race, "form": form, "tracks": Track.objects.defer("geometry"), "form_state": _form_state(form)},
    )


@require_POST
@race_view(role="organizer")
def race_close(request, race: Race):
    race.close()
    access.announce_change(race.pk, "race closed")
    messages.success(request, f"{race.name} is closed.")
    return redirect("race_detail", race_id=race.pk)


@race_view(role="organizer")
def race_delete(request, race: Race):
    if request.method == "POST":
        name, race_id = race.name, race.pk  # a deleted race has no pk
        race.delete()
        access.announce_change(race_id, "race deleted")
        messages.success(request, f"{name} is deleted.")
        return redirect("manage")
    return render(request, "races/race_delete.html", {"race": race})


@race_view(role="organizer")
def race_invitation(request, race: Race):
    context = {"race": race, "created": "created" in request.GET}
    if not is_shareable(race):  # the link no longer works: say so rather than hand it out
        return render(request, "races/invitation.html", {**context, "closed_message": CLOSED_MESSAGE})
    url = invitation_url(request, race)
    return render(
        request, "races/invitation.html",
        {**context, "url": url, "email_text": suggested_email(race, url), "qr": qr_svg(url)},
    )


@require_POST
@race_view(role="organizer")
def race_reset_link(request, race: Race):
    if not is_shareable(race):
        messages.error(request, CLOSED_MESSAGE)
        return redirect("race_invitation", race_id=race.pk)
    race.reset_invite_token()
    access.announce_change(race.pk, "invitation link reset")
    messages.success(request, "The invitation link is reset: the old link no longer lets anyone join.")
    return redirect("race_invitation", race_id=race.pk)


@race_view(role="organizer")
def race_racers(request, race: Race):
    participants = race.participants.active().select_related("user__racer")
    query = request.GET.get("q", "").strip()
    if query:
        participants = participants.filter(user__racer__alias__icontains=query)
    return render(request, "races/racers.html", {"race": race, "participants": participants, "q": query})


@require_POST
@race_view(role="organizer")
def race_remove_racers(request, race: Race):
    ids = request.POST.getlist("participant")
    removed = list(race.participants.active().filter(pk__in=[i for i in ids if i.isdigit()]))
    now = timezone.now()
    with transaction.atomic():
        for participant in removed:  # one by one: each save takes the racer off the board
            participant.removed_at = now
            participant.save(update_fields=["removed_at"])
    count = len(removed)
    access.announce_change(race.pk, "racers removed")
    if count and race.is_in_person:
        live_control.announce_queue(race)
    if count:
        messages.success(request, f"Removed {count} racer{'s' if count > 1 else ''}: their access is revoked.")
    else:
        messages.error(request, "Choose at least one racer to remove.")
    return redirect("race_racers", race_id=race.pk)


def _csv_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula (e-mail addresses may start with = or +)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@race_view(role="organizer")
def race_racers_csv(request, race: Race):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="racers-{race.pk}.csv"'
    writer = csv.writer(response)
    student = race.is_student
    header = ["alias", "country", "date_joined", "submission_status"]
    writer.writerow(header if student else header[:1] + ["email"] + header[1:])
    for p in race.participants.active().select_related("user__racer"):
        racer = getattr(p.user, "racer", None)
        row = [p.alias, racer.country.code if racer else "", p.joined_at.isoformat(), p.submission_status]
        writer.writerow(row if student else row[:1] + [_csv_cell(p.user.email)] + row[1:])
    return response


# -- joining -----------------------------------------------------------------------------

def join(request, token: str):
    race = Race.objects.select_related("track", "organizer").filter(invite_token=token).first()
    if race is None or not race.link_is_valid(token):
        raise Http404("This invitation link is not valid.")
    if not request.user.is_authenticated:
        if race.is_student:  # students join with an e-mail address only (races.email_signin)
            return render(request, "races/join.html", {"race": race, "email_form": EmailForm()})
        return redirect(f"{reverse('login')}?next={request.path}")
    if access.was_removed(request.user, race):
        raise Http404("This invitation link is not valid.")
    if access.active_participant(request.user, race):
        return redirect("race_detail", race_id=race.pk)
    access.remember_link(request, race)  # a link holder may look at the race before joining
    if access.is_organizer(request.user, race) and race.is_student:
        messages.info(request, "Organizers cannot race in their own student race.")
        return redirect("race_detail", race_id=race.pk)
    if not RacerProfile.objects.filter(user=request.user).exists():
        return redirect(f"{reverse('profile')}?next={request.path}")
    if request.method == "POST":
        _, joined = Participant.objects.get_or_create(race=race, user=request.user)
        if joined and race.is_in_person:  # an in-person racer joins the queue (a LIVE one enters a model)
            live_control.announce_queue(race)
        messages.success(request, f"You joined {race.name}.")
        return redirect("race_detail", race_id=race.pk)
    return render(request, "races/join.html", {"race": race})


def track_list(request):
    tracks = Track.objects.defer("geometry")
    return render(request, "races/tracks.html", {"tracks": tracks})


@require_GET
def track_picture(request, slug: str):
    """An SVG picture of a catalog track, drawn from its geometry (public, like the catalog)."""
    from livesim.track_picture import track_svg

    track = get_object_or_404(Track, slug=slug)
    g = track.geometry
    svg = track_svg(g["center"], g["inner"], g["outer"], closed=track.closed, title=track.name)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response



@require_GET
@race_view()
def race_image(request, race: Race):
    """The racing image, for those who may see the race (a private race's image is as
    invisible as the race)."""
    if not race.image:
        raise Http404("This race has no image.")
    try:
        handle = race.image.open("rb")
    except FileNotFoundError:
        raise Http404("This race has no image.") from None
    response = FileResponse(handle)  # its type from the name: uploads are checked PNG or JPEG
    response["Cache-Control"] = "private, max-age=86400"  # a new image gets a new URL (?v=)
    return response
