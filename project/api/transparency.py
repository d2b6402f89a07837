"""The audit log's Merkle tree through the API: signed checkpoints, inclusion
and consistency proofs (RFC 9162 §2.1.3, §2.1.4) and evidence packs built by a
task. Readers: whoever may read the audit log (AuditReader); an entry's proof
carries the entry's text, so it is given only for entries the reader sees."""
import datetime as dt

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from audit import selectors as audit_selectors
from audit import services as audit_services
from audit.errors import CheckpointUnavailable, ProofUnavailable
from content.errors import Conflict, NotFound, ValidationFailed
from project.api.fields import MAX_ID
from project.api.permissions import AuditReader
from project.api.schema import AUTH_HEADERS, OBJECT_READ, READ, WRITE, errors
from project.api.views import ApiView, resolve_org
from project.shared import audit_log
from reporting import services as reporting_services

def _int(request, name, *, required=False, minimum=0):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if required:
            raise ValidationFailed(f"缺少参数 {name}", code="missing_parameter", fields={name: ["必填"]})
        return None
    if not raw.isdigit() or int(raw) > MAX_ID or int(raw) < minimum:
        raise ValidationFailed(f"参数 {name} 应为不小于 {minimum} 的整数", code="invalid_parameter",
                               fields={name: [f"应为不小于 {minimum} 的整数"]})
    return int(raw)


def checkpoint_data(cp):
    return {"tree_size": cp.tree_size, "root_hash": cp.root_hash, "algorithm": cp.algorithm, "origin": cp.origin,
            "key_id": cp.key_id, "created_at": cp.created_at.isoformat(), "note": cp.note}


def pack_data(pack):
    return {"id": pack.pk, "status": pack.status, "progress": pack.progress, "org_path": pack.org_path,
            "org": pack.org_label, "account": pack.account_id, "draft": pack.draft_id,
            "from": pack.date_from.isoformat(), "to": pack.date_to.isoformat(), "entries": pack.entry_count,
            "sha256": pack.file_sha256 or None, "size": pack.file_size, "error": pack.error or None,
            "tree_size": pack.checkpoint.tree_size if pack.checkpoint_id else None,
            "created_at": pack.created_at.isoformat(),
            "download": f"/api/v1/audit/packs/{pack.pk}/download/" if pack.status == "ready" else None}


CHECKPOINT = inline_serializer("Checkpoint", {
    "tree_size": serializers.IntegerField(), "root_hash": serializers.CharField(help_text="十六进制"),
    "algorithm": serializers.CharField(), "origin": serializers.CharField(), "key_id": serializers.CharField(),
    "created_at": serializers.CharField(), "note": serializers.CharField(help_text="C2SP 签名文本（tlog-checkpoint）")})


class CheckpointListView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_checkpoints", tags=["audit"], summary="签名检查点（最新在前，最多 100 个）与验证公钥",
                   parameters=AUTH_HEADERS, responses={200: inline_serializer("CheckpointList", {
                       "public_key": serializers.CharField(), "checkpoints": serializers.ListField(child=serializers.DictField())}), **errors(*READ)})
    def get(self, request):
        return Response({"public_key": audit_selectors.log_public_key(),
                         "checkpoints": [checkpoint_data(cp) for cp in audit_selectors.checkpoint_list()[:100]]})

    @extend_schema(operation_id="audit_checkpoint_sign", tags=["audit"], summary="立即签署一个检查点",
                   request=None, parameters=AUTH_HEADERS, responses={201: CHECKPOINT, **errors(*WRITE)})
    def post(self, request):
        try:
            cp = audit_services.checkpoint_sign(actor=request.user)
        except CheckpointUnavailable as exc:
            raise ValidationFailed(f"无法签署检查点：{exc}", code="no_signing_key") from None
        return Response(checkpoint_data(cp), status=status.HTTP_201_CREATED)


class CheckpointLatestView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_checkpoint_latest", tags=["audit"], summary="最新的签名检查点",
                   parameters=AUTH_HEADERS, responses={200: CHECKPOINT, **errors(*READ, 404)})
    def get(self, request):
        try:
            cp = audit_selectors.checkpoint_latest()
        except CheckpointUnavailable:
            raise NotFound("尚未签署任何检查点") from None
        return Response({**checkpoint_data(cp), "public_key": audit_selectors.log_public_key()})


class EntryProofView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_entry_proof", tags=["audit"], summary="条目的包含证明（RFC 9162 §2.1.3）",
                   description="不给 tree_size 时按最新检查点的树大小。path 为十六进制节点哈希，按 RFC 9162 的顺序（自叶向根）。",
                   parameters=[OpenApiParameter("tree_size", int, required=False), *AUTH_HEADERS],
                   responses={200: inline_serializer("InclusionProof", {
                       "seq": serializers.IntegerField(), "leaf_index": serializers.IntegerField(),
                       "tree_size": serializers.IntegerField(), "leaf": serializers.CharField(),
                       "path": serializers.ListField(child=serializers.CharField()),
                       "root_hash": serializers.CharField()}), **errors(400, *READ, 404)})
    def get(self, request, seq):
        tree_size = _int(request, "tree_size", minimum=1)
        try:
            proof, _checkpoint = audit_log.entry_proof(actor=request.user, seq=seq, tree_size=tree_size)
        except CheckpointUnavailable:
            raise NotFound("尚未签署任何检查点，请给出 tree_size") from None
        except ProofUnavailable as exc:
            raise ValidationFailed(f"无法给出包含证明：{exc}", code="no_proof", fields={"tree_size": [str(exc)]}) from None
        return Response({"seq": seq, "leaf_index": seq - 1, "tree_size": proof.tree_size, "leaf": proof.leaf,
                         "path": [p.hex() for p in proof.path], "root_hash": proof.root.hex()})


class ConsistencyView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_consistency", tags=["audit"], summary="两个树大小之间的一致性证明（RFC 9162 §2.1.4）",
                   parameters=[OpenApiParameter("from", int, required=True), OpenApiParameter("to", int, required=True),
                               *AUTH_HEADERS],
                   responses={200: inline_serializer("ConsistencyProof", {
                       "from": serializers.IntegerField(), "to": serializers.IntegerField(),
                       "path": serializers.ListField(child=serializers.CharField())}), **errors(400, *READ)})
    def get(self, request):
        first, second = _int(request, "from", required=True), _int(request, "to", required=True)
        try:
            path = audit_selectors.consistency_proof(first=first, second=second)
        except ProofUnavailable as exc:
            raise ValidationFailed(f"无法给出一致性证明：{exc}", code="no_proof") from None
        return Response({"from": first, "to": second, "path": [p.hex() for p in path]})


def _moment(value, name, *, end=False):
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} 应为日期 YYYY-MM-DD", code="invalid_date", fields={name: ["应为日期"]}) from None
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())
    return moment + dt.timedelta(days=1) if end else moment


PACK = inline_serializer("EvidencePack", {"id": serializers.IntegerField(), "status": serializers.CharField(),
                                          "progress": serializers.IntegerField(),
                                          "download": serializers.CharField(allow_null=True)})


class PackListView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_packs", tags=["audit"], summary="本单位及下级的审计证据包",
                   parameters=AUTH_HEADERS, responses={200: serializers.ListSerializer(child=serializers.DictField()), **errors(*READ)})
    def get(self, request):
        return Response([pack_data(p) for p in audit_log.visible_packs(request.user)])

    @extend_schema(operation_id="audit_pack_request", tags=["audit"], summary="申请审计证据包（后台任务生成）",
                   request=inline_serializer("PackRequest", {
                       "org": serializers.CharField(), "from": serializers.DateField(), "to": serializers.DateField(),
                       "account": serializers.IntegerField(required=False),
                       "draft": serializers.IntegerField(required=False)}),
                   parameters=AUTH_HEADERS, responses={202: PACK, **errors(*WRITE)})
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        org = resolve_org(body.get("org")) if isinstance(body.get("org"), str) else None
        if org is None:
            raise ValidationFailed("请选择单位", code="missing_org", fields={"org": ["必填"]})
        ids = {}
        for name in ("account", "draft"):
            value = body.get(name)
            if value not in (None, ""):
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
                    raise ValidationFailed(f"{name} 应为正整数", code="invalid_parameter", fields={name: ["应为正整数"]})
                ids[name] = value
        pack = reporting_services.evidence_pack_request(
            actor=request.user, org=org, date_from=_moment(body.get("from"), "from"),
            date_to=_moment(body.get("to"), "to", end=True), account_id=ids.get("account"),
            draft_id=ids.get("draft"), channel="api")
        return Response(pack_data(pack), status=status.HTTP_202_ACCEPTED)


class PackDetailView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_pack", tags=["audit"], summary="证据包状态与进度",
                   parameters=AUTH_HEADERS, responses={200: PACK, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        return Response(pack_data(audit_log.visible_pack(request.user, pk)))


class PackDownloadView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_pack_download", tags=["audit"], summary="下载证据包（zip）",
                   parameters=AUTH_HEADERS, responses={(200, "application/zip"): bytes, **errors(*OBJECT_READ, 409)})
    def get(self, request, pk):
        pack = audit_log.visible_pack(request.user, pk)
        if pack.status != "ready":
            raise Conflict("证据包尚未生成完成，请稍后再下载", code="pack_not_ready")
        return FileResponse(open(pack.file_name, "rb"), as_attachment=True,
                            filename=f"audit-evidence-pack-{pack.pk}.zip", content_type="application/zip")
