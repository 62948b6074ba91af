"""Pages of sponsorship: the sponsor's racers and their usage (/sponsor/), and the racer's
answer to an offer (on their profile page)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import sponsorship as rules
from .models import Sponsorship


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Sponsorship
        fields = ["submission_quota", "minutes_quota"]


class InviteForm(QuotaForm):
    racer = forms.CharField(max_length=150, label="Racer's e-mail address or alias")
    field_order = ["racer", "submission_quota", "minutes_quota"]


def _page(request, form: InviteForm, status: int = 200):
    given = (Sponsorship.objects.filter(sponsor=request.user)
             .select_related("racer__racer").order_by("ended_at", "-invited_at"))
    rows = [(s, rules.usage(s), QuotaForm(instance=s, prefix=f"s{s.pk}")) for s in given]
    return render(request, "races/sponsor.html", {"rows": rows, "form": form}, status=status)


@login_required
def sponsor_page(request):
    """GET: the racers you sponsor, with usage. POST: offer to sponsor a racer."""
    if request.method != "POST":
        return _page(request, InviteForm())
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            offer = rules.invite(request.user, data["racer"], data["submission_quota"], data["minutes_quota"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Offer sent: {rules.display_name(offer.racer)} accepts it on "
                                      "their profile page.")
            return redirect("sponsor")
    return _page(request, form, status=400)


@require_POST
@login_required
def sponsor_quotas(request, sponsorship_id: int):
    offer = get_object_or_404(Sponsorship, pk=sponsorship_id, sponsor=request.user, ended_at__isnull=True)
    form = QuotaForm(request.POST, instance=offer, prefix=f"s{offer.pk}")
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("sponsor")
    form.save()
    messages.success(request, "Quotas saved.")
    return redirect("sponsor")


@require_POST
@login_required
def sponsor_end(request, sponsorship_id: int):
    offer = get_object_or_404(Sponsorship, pk=sponsorship_id, sponsor=request.user)
    rules.end(offer)
    messages.success(request, "Sponsorship ended. The racer keeps their alias, profile, models and results.")
    return redirect("sponsor")


@require_POST
@login_required
def sponsorship_answer(request, sponsorship_id: int, answer: str):
    """The racer accepts or declines an offer, or leaves an accepted sponsorship."""
    if answer not in ("accept", "decline", "leave"):
        raise Http404("No such answer.")
    offer = get_object_or_404(Sponsorship, pk=sponsorship_id, racer=request.user, ended_at__isnull=True)
    if answer == "accept":
        try:
            rules.accept(offer)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Sponsorship accepted: your sponsor pays for your evaluations.")
    else:
        rules.end(offer)
        messages.success(request, "Sponsorship declined." if answer == "decline" else "You left the sponsorship.")
    return redirect("profile")

