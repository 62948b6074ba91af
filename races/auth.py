"""Logging in: with an e-mail address or a username, and throttled after failed attempts.

The throttle is django-axes: after AXES_FAILURE_LIMIT failed logins for one login name from one
client address, that pair is refused for AXES_COOLOFF_TIME, even with the right password.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            user = get_user_model().objects.filter(email__iexact=username.strip()).first()
            if user is not None:
                username = user.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a locked-out login name and address before any password is checked.

    Without a request (a management command, the shell) there is no client to throttle, so the
    check is left to the backends after it instead of failing the call as axes would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_name(request, credentials: dict | None = None) -> str:
    """The name failed logins are counted under: an e-mail address counts for the account it
    belongs to, so switching between the two ways of logging in gains no extra attempts."""
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = ((credentials or {}).get(field) or (request.POST.get(field) if request else "") or "").strip()
    if "@" in raw:
        user = get_user_model().objects.filter(email__iexact=raw).first()
        return user.get_username() if user else raw.lower()
    return raw


def client_address(request) -> str | None:
    """The client's address. Behind the TLS proxy (SECURE_PROXY_SSL_HEADER=1) every request comes
    from the proxy, so the address is the last X-Forwarded-For entry: the one the proxy added
    (earlier entries come from the client and may be forged)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return f"Too many failed logins: try again in {minutes} minute{'s' if minutes != 1 else ''}."


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, saying why it refuses (429, Too Many Requests)."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "lockout_message": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
