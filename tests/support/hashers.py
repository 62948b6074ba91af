"""A password hasher for the tests' users."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with 1,000 iterations instead of a million: making a test user costs
    under a millisecond instead of ~0.6 s (it dominated the suite's time). Same algorithm name
    and format, so a server started by a test (browser suites) checks these passwords with its
    default hashers (the hash carries its iteration count)."""

    iterations = 1000
