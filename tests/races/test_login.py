"""The login page: a username or e-mail address and password log in; failed logins are
throttled per login name and client address (10 failures lock that pair for 15 minutes, even
with the right password afterwards), with a message that says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

URL = "/accounts/login/"
LOCKED = "Too many failed logins: try again in 15 minutes."


def log_in(client: Client, username: str, password: str, **extra):
    return client.post(URL, {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, **extra):
    for _ in range(times):
        response = log_in(client, username, "wrong password", **extra)
    return response


def test_it_works(client, bob):
    response = log_in(client, "bob", "pw-bob")
    assert response.status_code == 302 and logged_in(client)


def test_it_works_with_the_e_mail_address(client, bob):
    assert log_in(client, "bob@example.org", "pw-bob").status_code == 302 and logged_in(client)


def test_it_refuses_the_right_password_after_10_failures(client, bob):
    assert fail(client, "bob", 9).status_code == 200  # the form again, with its error
    tenth = fail(client, "bob", 1)
    assert tenth.status_code == 429 and LOCKED in tenth.content.decode()
    response = log_in(client, "bob", "pw-bob")
    assert response.status_code == 429
    assert LOCKED in response.content.decode() and 'name="username"' in response.content.decode()
    assert not logged_in(client)


def test_it_counts_the_e_mail_address_and_the_username_together(client, bob):
    fail(client, "bob", 5)
    fail(client, "BOB@example.org", 5)
    assert log_in(client, "bob", "pw-bob").status_code == 429 and not logged_in(client)


def test_it_does_not_lock_another_user(client, bob, alice):
    fail(client, "bob", 10)
    assert log_in(client, "alice", "pw-alice").status_code == 302 and logged_in(client)


def test_it_does_not_lock_the_same_user_from_another_address(bob):
    fail(Client(REMOTE_ADDR="192.0.2.10"), "bob", 10)
    other = Client(REMOTE_ADDR="192.0.2.11")
    assert log_in(other, "bob", "pw-bob").status_code == 302 and logged_in(other)


def test_it_unlocks_after_the_cool_off(client, bob):
    from axes.models import AccessAttempt
    from django.db.models import F

    fail(client, "bob", 10)
    assert log_in(client, "bob", "pw-bob").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    assert log_in(client, "bob", "pw-bob").status_code == 302 and logged_in(client)


def test_it_says_the_cool_off_it_is_configured_with(client, bob, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    response = fail(client, "bob", 10)
    assert "Too many failed logins: try again in 1 minute." in response.content.decode()


def test_it_starts_counting_again_after_a_success(bob):
    client = Client()
    fail(client, "bob", 9)
    assert log_in(client, "bob", "pw-bob").status_code == 302
    client.logout()
    fail(client, "bob", 9)
    assert log_in(client, "bob", "pw-bob").status_code == 302 and logged_in(client)


@pytest.mark.parametrize("forged", ["198.51.100.1", "198.51.100.2, 198.51.100.3"])
def test_it_counts_the_address_the_proxy_added(bob, settings, forged):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"}
    fail(Client(**proxy), "bob", 10, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # a forged entry before the proxy's own does not make a new client
    again = Client(**proxy)
    assert log_in(again, "bob", "pw-bob", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.7").status_code == 429
    elsewhere = Client(**proxy)
    assert log_in(elsewhere, "bob", "pw-bob", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_it_still_authenticates_without_a_request(bob):
    from django.contrib.auth import authenticate

    assert authenticate(username="bob", password="pw-bob") == bob  # shell, management commands


def test_it_throttles_the_admin_login_too(client, bob):
    bob.is_staff = True
    bob.save()
    for _ in range(10):
        client.post("/admin/login/", {"username": "bob", "password": "wrong password"})
    response = client.post("/admin/login/", {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert not logged_in(client)
