"""The absence calendar (不在岗日历, ``web:absences``): a reviewer records and
deletes his own absences; the office head (a tier's lead) sees his tier's
members' absences, a unit administrator those of his unit subtree and keeps
them for its reviewers — month by month. Round-robin assignment passes over
whoever is absent on the day.

The same functions as GET/POST /api/v1/absences/ and DELETE
/api/v1/absences/{id}/: reviewers.permissions (absence_calendar_refusal,
absence_keep_refusal), reviewers.selectors (absence_month, absence_people,
absence_month_first), reviewers.services (absence_create, absence_delete)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from content.errors import ValidationFailed
from project.web.common import DATE_ERRORS, call_service, date_input
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services


def _person_label(user):
    unit = f" · {user.org.short_name or user.org.name}" if user.org_id else ""
    return f"{user.name or user.username}（{user.username}）{unit}"


class AbsenceForm(forms.Form):
    user = forms.TypedChoiceField(label="审核人", coerce=int, required=False)
    starts_on = forms.DateField(label="开始日期", error_messages=DATE_ERRORS, widget=date_input())
    ends_on = forms.DateField(label="结束日期", error_messages=DATE_ERRORS, widget=date_input())
    note = forms.CharField(label="说明", required=False, max_length=200, help_text="如“出差”“年假”（可选）")

    def __init__(self, *args, people, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.pk, _person_label(u)) for u in people]
        self.fields["user"].initial = actor.pk
        if len(people) <= 1:  # only himself: no choice to offer
            self.fields["user"].widget = forms.HiddenInput()


def _month_or_this(request):
    try:
        return reviewer_selectors.absence_month_first(request.GET.get("month") or request.POST.get("month"))
    except ValidationFailed as error:
        messages.error(request, error.message)
        return reviewer_selectors.absence_month_first(None)


def _back(first):
    return f"{reverse('web:absences')}?month={first:%Y-%m}"


@login_required
@require_http_methods(["GET", "POST"])
def absences(request):
    user = request.user
    refusal = reviewer_permissions.absence_calendar_refusal(user)
    if refusal:
        refusal.raise_()
    people = reviewer_selectors.absence_people(user)
    first = _month_or_this(request)
    today = timezone.localdate()
    form = AbsenceForm(people=people, actor=user, initial={"starts_on": today, "ends_on": today})
    if request.method == "POST":
        form = AbsenceForm(request.POST, people=people, actor=user)
        if not people:
            (reviewer_permissions.absence_keep_refusal(user, user)
             or reviewer_permissions.absence_calendar_refusal(user)).raise_()
        if form.is_valid():
            data = form.cleaned_data
            absence, _error = call_service(request, reviewer_services.absence_create, form=form,
                                           starts_on=data["starts_on"], ends_on=data["ends_on"], note=data["note"],
                                           user_id=data.get("user") or user.pk)
            if absence is not None:
                messages.success(request, f"已登记 {_person_label(absence.user)} 不在岗："
                                          f"{absence.starts_on:%Y-%m-%d} 至 {absence.ends_on:%Y-%m-%d}。")
                return redirect(_back(absence.starts_on.replace(day=1)))
    month = reviewer_selectors.absence_month(user, first, today=today)
    keepable = {u.pk for u in people}
    rows = [{"a": a, "mine": a.user_id == user.pk, "can_delete": a.user_id in keepable and a.ends_on >= today}
            for a in month.absences]
    return render(request, "web/review/absences.html", {
        "month": month, "rows": rows, "form": form, "can_record": bool(people),
        "sees_others": any(not r["mine"] for r in rows) or len(people) > 1,
        "previous": month.previous, "following": month.following,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def absence_delete(request, pk):
    # Someone else's absence, or an unknown one: NotAllowed escapes (403), as the API answers.
    absence = reviewer_selectors.absence_visible_to(request.user, pk)
    first = absence.starts_on.replace(day=1) if absence is not None else timezone.localdate().replace(day=1)
    _result, error = call_service(request, reviewer_services.absence_delete, absence_id=pk)
    if error is None:
        messages.success(request, f"已删除 {_person_label(absence.user)} {absence.starts_on:%Y-%m-%d} 至 "
                                  f"{absence.ends_on:%Y-%m-%d} 的不在岗记录。")
    month = request.POST.get("month") or ""
    return redirect(f"{reverse('web:absences')}?month={month}" if month else _back(first))
