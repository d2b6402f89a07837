"""Endpoints the platforms call: the WeChat official account's message
callback (``/hooks/wechat/<account id>/``), configured in the account's
WeChat console with the callback token shown on the channel page.

GET is WeChat's check of the address (``echostr`` echoed when the signature
is right); POST carries the messages, of which the ``PUBLISHJOBFINISH`` event
finishes a delivery (workflow.services.wechat_callback_receive: signature,
time window, replays ignored). No session, no CSRF token: the signature is
the authentication.
"""
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed
from content.models import ChannelKind
from workflow import services as workflow_services

MAX_BODY = 64 * 1024


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_callback(request, account_id):
    q = request.GET
    if request.method == "GET":
        channel = content_selectors.channel_of(account_id)
        if channel is None or channel.kind != ChannelKind.WECHAT:
            return HttpResponseForbidden("未知的回调地址", content_type="text/plain; charset=utf-8")
        try:
            workflow_services.wechat_callback_receive(
                actor=content_services.system_actor(), account_id=account_id, signature=q.get("signature", ""),
                timestamp=q.get("timestamp", ""), nonce=q.get("nonce", ""), body=b"")
        except NotAllowed as exc:
            return HttpResponseForbidden(str(exc.message), content_type="text/plain; charset=utf-8")
        return HttpResponse(q.get("echostr", ""), content_type="text/plain")
    if len(request.body) > MAX_BODY:
        return HttpResponse("消息过大", status=413, content_type="text/plain; charset=utf-8")
    try:
        answer = workflow_services.wechat_callback_receive(
            actor=content_services.system_actor(), account_id=account_id, signature=q.get("signature", ""),
            timestamp=q.get("timestamp", ""), nonce=q.get("nonce", ""), body=request.body)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc.message), content_type="text/plain; charset=utf-8")
    return HttpResponse(answer, content_type="text/plain")
