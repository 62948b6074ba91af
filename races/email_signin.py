"""Joining a race with an e-mail address only: a sign-in link sent by e-mail (django-sesame).

The console's student site needed no password; neither does this. A student follows the race's
invitation link, types an e-mail address, and gets a link that signs them in and brings them back
to the invitation (alias and country next, then *Join*).

- The link is django-sesame's token for the account, scoped to that one race, valid once
  (SESAME_ONE_TIME: it dies when the account logs in) and for SESAME_MAX_AGE.
- Opening the link shows a *Sign in* button; only the POST spends the token, because mail
  scanners open links and would otherwise use up a student's one-time link before they do.
- The answer to "send me a link" is the same whether the account existed or not (no account
  enumeration), and requests are counted per e-mail and per client address (no mail bombing).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from sesame.utils import get_query_string

from .auth import client_address
from .forms import EmailForm
from .models import Race, SignInRequest


def scope(race: Race) -> str:
    """A token is good for the race it was asked for and nowhere else."""
    return f"join:{race.pk}"


def _race_for_link(token: str) -> Race:
    race = Race.objects.filter(invite_token=token).first()
    if race is None or not race.link_is_valid(token):
        raise Http404("This invitation link is not valid.")
    return race


def too_many_requests(email: str, address: str | None) -> str | None:
    """Why another link may not be sent now, or None."""
    since = timezone.now() - timedelta(hours=1)
    recent = SignInRequest.objects.filter(created_at__gte=since)
    if recent.filter(email__iexact=email).count() >= settings.SIGNIN_LINKS_PER_HOUR:
        return "Too many sign-in links were sent to this address: try again in an hour."
    if address and recent.filter(address=address).count() >= settings.SIGNIN_LINKS_PER_ADDRESS_PER_HOUR:
        return "Too many sign-in links were asked for from this network: try again in an hour."
    return None


def account_for(email: str):
    """The account of this address, created without a password the first time: the e-mail link
    is how it signs in (a password can be set later from the password-reset page if wanted)."""
    users = get_user_model().objects
    user = users.filter(email__iexact=email).first() or users.filter(username__iexact=email).first()
    if user is None:
        user = users.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def send_link(request: HttpRequest, race: Race, user) -> None:
    url = request.build_absolute_uri(reverse("email_signin", args=[race.invite_token]))
    url += get_query_string(user, scope=scope(race))
    minutes = settings.SESAME_MAX_AGE // 60
    send_mail(
        subject=f"Your sign-in link for {race.name}",
        message=(
            f"Open this link to sign in and join {race.name}:\n\n{url}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for it, ignore this message."
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@require_POST
def request_link(request: HttpRequest, token: str) -> HttpResponse:
    race = _race_for_link(token)
    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(request, "races/join.html", {"race": race, "email_form": form}, status=400)
    email = form.cleaned_data["email"]
    address = client_address(request)
    refusal = too_many_requests(email, address)
    if refusal:
        form.add_error("email", refusal)
        return render(request, "races/join.html", {"race": race, "email_form": form}, status=429)
    with transaction.atomic():
        SignInRequest.objects.create(email=email, address=address)
        user = account_for(email)
    if user.is_active:
        send_link(request, race, user)
    return render(request, "races/signin_sent.html", {"race": race, "email": email})


def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (scanners may GET); POST spends the token and signs in."""
    race = _race_for_link(token)
    sesame = request.POST.get("sesame") if request.method == "POST" else request.GET.get("sesame")
    if not sesame:
        raise Http404("This sign-in link is not valid.")
    if request.method != "POST":
        return render(request, "races/signin_confirm.html", {"race": race, "sesame": sesame})
    # authenticate() with the request (not sesame's get_user, which has none) so a refused token
    # is logged against its client like any failed login; the session keeps sesame's backend.
    user = authenticate(request, sesame=sesame, scope=scope(race))
    if user is None:
        return render(request, "races/signin_expired.html", {"race": race}, status=410)
    login(request, user)
    return redirect("join", token=race.invite_token)
