"""The auditor's pages over the audit log's Merkle tree: the signed
checkpoints and the public key that verifies them, an entry's inclusion proof
checked against a signed checkpoint, and the evidence packs (asked for here,
built by a task, followed while they build, downloaded when ready).

Every page asks what the API asks: ``content.permissions.may_read_audit`` (the
API's AuditReader) first; then project.shared.audit_log for what the reader
sees (an entry's proof, a pack: his subtree) and
``reporting.services.evidence_pack_request`` (``can_request_evidence_pack``)
for a new pack, so a page never refuses what the API allows, or the reverse.
"""
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audit import selectors as audit_selectors
from audit import services as audit_services
from audit.errors import CheckpointUnavailable, ProofUnavailable
from audit.models import EvidencePack
from content.errors import Conflict, NotAllowed, ValidationFailed
from content.permissions import may_read_audit
from project.converters import MAX_ID
from project.shared import audit_log
from project.web.audit.views import _scope_orgs
from project.web.common import indented_unit_label
from reporting import services as reporting_services

AUDIT_ONLY = "只有审计人员可以查看审计日志"
RECENT_CHECKPOINTS = 20


def _require_auditor(user):
    if not may_read_audit(user):
        raise NotAllowed(AUDIT_ONLY)


def _public_key():
    try:
        return audit_selectors.log_public_key(), ""
    except CheckpointUnavailable as exc:
        return "", f"未配置签名密钥，无法签署检查点（{exc}）"


# ---------------------------------------------------------------- checkpoints

class ProofForm(forms.Form):
    seq = forms.IntegerField(label="条目序号", min_value=1, max_value=MAX_ID)
    tree_size = forms.IntegerField(label="树大小（留空：最新检查点）", required=False, min_value=1, max_value=MAX_ID)


@login_required
@require_http_methods(["GET", "POST"])
def audit_tree(request):
    """GET: the latest checkpoint (its signed note, to print or hand over), the
    public key, the recent checkpoints and the proof form. POST: sign a
    checkpoint now (the API's POST /audit/checkpoints/)."""
    user = request.user
    _require_auditor(user)
    if request.method == "POST":
        try:
            checkpoint = audit_services.checkpoint_sign(actor=user)
        except CheckpointUnavailable as exc:
            messages.error(request, f"无法签署检查点：{exc}")
            return redirect("web:audit_tree")
        messages.success(request, f"已签署检查点：树大小 {checkpoint.tree_size}。")
        return redirect("web:audit_tree")
    checkpoints = list(audit_selectors.checkpoint_list()[:RECENT_CHECKPOINTS])
    latest = max(checkpoints, key=lambda cp: (cp.tree_size, cp.pk), default=None)
    public_key, key_problem = _public_key()
    size, algorithm, _frontier = audit_selectors.tree_head()
    return render(request, "web/audit/tree.html", {
        "latest": latest, "checkpoints": checkpoints, "public_key": public_key, "key_problem": key_problem,
        "tree_size": size, "algorithm": algorithm, "form": ProofForm(),
        "unsigned": size - (latest.tree_size if latest else 0),
    })


@login_required
@require_GET
def audit_proof(request):
    """An entry's inclusion proof (RFC 9162 §2.1.3), checked here against the
    signed checkpoint of its tree size; the same proof as
    GET /api/v1/audit/entries/{seq}/proof/, linked for an offline check."""
    user = request.user
    _require_auditor(user)
    form = ProofForm(request.GET or None)
    context = {"form": form, "proof": None}
    if not form.is_bound:
        return render(request, "web/audit/proof.html", context)
    if not form.is_valid():
        return render(request, "web/audit/proof.html", context, status=400)
    seq, tree_size = form.cleaned_data["seq"], form.cleaned_data.get("tree_size")
    try:
        proof, checkpoint = audit_log.entry_proof(actor=user, seq=seq, tree_size=tree_size)
    except CheckpointUnavailable:
        form.add_error(None, "尚未签署任何检查点：请先签署检查点，或填写树大小")
        return render(request, "web/audit/proof.html", context, status=400)
    except ProofUnavailable as exc:
        form.add_error("tree_size" if tree_size else "seq", f"无法给出包含证明：{exc}")
        return render(request, "web/audit/proof.html", context, status=400)
    _size, algorithm, _frontier = audit_selectors.tree_head()
    api_url = reverse("api:audit-entry-proof", kwargs={"seq": seq}) + f"?tree_size={proof.tree_size}"
    return render(request, "web/audit/proof.html", {
        **context, "proof": proof, "check": audit_selectors.entry_proof_check(proof=proof, checkpoint=checkpoint),
        "algorithm": algorithm,
        "path": [p.hex() for p in proof.path], "api_url": api_url,
    })


# ---------------------------------------------------------------- evidence packs

class PackForm(forms.Form):
    org = forms.ChoiceField(label="单位（含下级）")
    account = forms.IntegerField(label="账号编号（可选）", required=False, min_value=1, max_value=MAX_ID)
    draft = forms.IntegerField(label="稿件编号（可选）", required=False, min_value=1, max_value=MAX_ID)
    date_from = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label="截止日期（含当天）", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = {o.code: o for o in orgs}
        self.fields["org"].choices = [(o.code, indented_unit_label(o)) for o in self.orgs.values()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data

    def moments(self):
        zone = timezone.get_default_timezone()
        start = timezone.make_aware(dt.datetime.combine(self.cleaned_data["date_from"], dt.time.min), zone)
        end = timezone.make_aware(dt.datetime.combine(self.cleaned_data["date_to"] + dt.timedelta(days=1),
                                                      dt.time.min), zone)
        return start, end


def _pack_form(user, data=None):
    today = timezone.localdate()
    initial = {"date_from": today - dt.timedelta(days=30), "date_to": today,
               "org": user.org.code if getattr(user, "org_id", None) else ""}
    return PackForm(data, orgs=list(_scope_orgs(user)), initial=initial)


def pack_state(pack):
    """What the pack's page and its script show (also its JSON answer)."""
    return {"id": pack.pk, "status": pack.status, "status_label": pack.get_status_display(),
            "progress": pack.progress, "entries": pack.entry_count, "error": pack.error or None,
            "done": pack.status in (EvidencePack.Status.READY, EvidencePack.Status.FAILED),
            "download": reverse("web:audit_pack_download", args=[pack.pk])
            if pack.status == EvidencePack.Status.READY else None}


@login_required
@require_http_methods(["GET", "POST"])
def audit_packs(request):
    """The packs of the reader's subtree (newest first) and the form that asks
    for one (the API's POST /audit/packs/): the task builds it."""
    user = request.user
    _require_auditor(user)
    form = _pack_form(user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            start, end = form.moments()
            try:
                pack = reporting_services.evidence_pack_request(
                    actor=user, org=form.orgs[form.cleaned_data["org"]], date_from=start, date_to=end,
                    account_id=form.cleaned_data.get("account"), draft_id=form.cleaned_data.get("draft"),
                    channel="web")
            except ValidationFailed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已申请证据包 {pack.pk}，后台任务正在生成。")
                return redirect("web:audit_pack", pk=pack.pk)
        status = 400
    packs = audit_log.visible_packs(user)
    return render(request, "web/audit/packs.html", {"form": form, "packs": packs}, status=status)


@login_required
@require_GET
def audit_pack(request, pk):
    """One pack: its selection, status and progress (the page's script asks
    again with Accept: application/json until it is done), the download."""
    pack = audit_log.visible_pack(request.user, pk)
    state = pack_state(pack)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(state)
    return render(request, "web/audit/pack.html", {"pack": pack, "state": state})


@login_required
@require_GET
def audit_pack_download(request, pk):
    pack = audit_log.visible_pack(request.user, pk)
    if pack.status != EvidencePack.Status.READY:
        raise Conflict("证据包尚未生成完成，请稍后再下载", code="pack_not_ready")
    return FileResponse(open(pack.file_name, "rb"), as_attachment=True,
                        filename=f"audit-evidence-pack-{pack.pk}.zip", content_type="application/zip")
