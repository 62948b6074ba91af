"""Requests for a sign-in link by e-mail: the table the link sender counts to stop mail bombing."""

from __future__ import annotations

from django.db import models


class SignInRequest(models.Model):
    """One sign-in link sent (or refused for too many): kept to count requests per address and per
    e-mail over the last hour, in the database so that every server process counts the same."""

    email = models.EmailField(db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        app_label = "races"

    def __str__(self) -> str:
        return f"{self.email} at {self.created_at:%Y-%m-%d %H:%M}"
