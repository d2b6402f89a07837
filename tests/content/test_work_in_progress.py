"""Work in progress (content.models.WorkInProgress): the unsaved form content
the pages autosave. Private to its owner, size-bounded, HTML sanitised, never
audited and never a revision, expiring after WORK_IN_PROGRESS_TTL_DAYS."""
import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from content import selectors, services
from content.errors import NotAllowed, ValidationFailed
from content.models import Revision, WorkInProgress
from tests import factories

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def save(user, key="draft:new", data=None, **kwargs):
    return services.work_in_progress_save(actor=user, key=key, data=data or {"title": "标题"}, **kwargs)


def test_save_keeps_one_entry_per_owner_and_form_and_replaces_it(world):
    first = save(world.editor, "draft:7", {"title": "第一稿", "is_repost": False}, base="r1")
    again = save(world.editor, "draft:7", {"title": "第二稿"}, base="r2")
    assert again.pk == first.pk
    entry = WorkInProgress.objects.get(owner=world.editor, key="draft:7")
    assert entry.data == {"title": "第二稿"} and entry.base == "r2"
    assert entry.size == len('{"title":"第二稿"}'.encode()) and entry.updated_at >= first.updated_at
    save(world.editor, "draft:8", {"title": "另一篇"})
    assert WorkInProgress.objects.filter(owner=world.editor).count() == 2


def test_it_is_not_a_revision_and_is_never_audited(world):
    audit_before, revisions_before = AuditEntry.objects.count(), Revision.objects.count()
    save(world.editor, "draft:new", {"title": "未保存", "body": "<p>正文</p>"})
    services.work_in_progress_discard(actor=world.editor, key="draft:new")
    assert AuditEntry.objects.count() == audit_before
    assert Revision.objects.count() == revisions_before


def test_html_fields_are_sanitised_and_plain_text_kept_as_typed(world):
    entry = save(world.editor, "review:3", {
        "body": '<p onclick="steal()">正文<script>alert(1)</script></p><img src="https://evil.example/x.png">',
        "political_comment": "第二段 <b>不</b> 妥\n  请修改",
    }, html_fields=("body",))
    assert "<script" not in entry.data["body"] and "onclick" not in entry.data["body"]
    assert "evil.example" not in entry.data["body"] and "<p>正文</p>" in entry.data["body"]
    # plain text is rendered escaped by the pages: it keeps exactly what was typed
    assert entry.data["political_comment"] == "第二段 <b>不</b> 妥\n  请修改"


def test_text_that_a_database_cannot_store_is_cleaned(world):
    entry = save(world.editor, data={"title": "a\x00b", "note": "\ud800x"})
    entry.refresh_from_db()
    assert entry.data == {"title": "ab", "note": "?x"}


def test_another_user_can_neither_read_nor_overwrite_it(world):
    mine = save(world.editor, "draft:new", {"title": "编辑甲的草稿"})
    assert selectors.work_in_progress_for(world.editor2, "draft:new") is None
    assert selectors.work_in_progress_for(factories.superuser(), "draft:new") is None
    theirs = save(world.editor2, "draft:new", {"title": "编辑乙的草稿"})
    assert theirs.pk != mine.pk
    assert selectors.work_in_progress_for(world.editor, "draft:new").data == {"title": "编辑甲的草稿"}
    # discarding is by owner too
    assert services.work_in_progress_discard(actor=world.editor2, key="draft:new") is True
    assert selectors.work_in_progress_for(world.editor, "draft:new") is not None


def test_size_is_bounded_with_a_chinese_message(world, settings):
    settings.WORK_IN_PROGRESS_MAX_BYTES = 1000
    save(world.editor, data={"body": "字" * 300})  # 900 bytes of UTF-8 and the JSON around it
    with pytest.raises(ValidationFailed) as refused:
        save(world.editor, data={"body": "字" * 400})
    assert refused.value.code == "wip_too_large" and CHINESE.search(refused.value.message)
    assert "上限" in refused.value.message
    assert selectors.work_in_progress_for(world.editor, "draft:new").data == {"body": "字" * 300}


@pytest.mark.parametrize("key", ["", "draft", "draft:", "DRAFT:1", "draft:1:2", "x" * 40 + ":1", None, 5])
def test_invalid_keys_are_refused(world, key):
    with pytest.raises(ValidationFailed) as refused:
        save(world.editor, key)
    assert refused.value.code == "wip_invalid_key" and CHINESE.search(refused.value.message)


@pytest.mark.parametrize("data", [["title"], {"title": {"nested": 1}}, {"title": ["a"]}, {"bad name": "x"},
                                  {f"f{i}": "x" for i in range(65)}])
def test_invalid_values_are_refused(world, data):
    with pytest.raises(ValidationFailed) as refused:
        services.work_in_progress_save(actor=world.editor, key="draft:new", data=data)
    assert refused.value.code == "wip_invalid" and CHINESE.search(refused.value.message)


def test_only_signed_in_active_users_keep_work_in_progress(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        save(AnonymousUser())
    world.editor.is_active = False
    with pytest.raises(NotAllowed):
        save(world.editor)


def test_the_number_of_entries_per_person_is_bounded(world, monkeypatch):
    monkeypatch.setattr(services, "WIP_MAX_ENTRIES", 2)
    save(world.editor, "draft:1")
    save(world.editor, "draft:2")
    save(world.editor, "draft:2", {"title": "更新已有的可以"})
    with pytest.raises(ValidationFailed) as refused:
        save(world.editor, "draft:3")
    assert refused.value.code == "wip_too_many"


def test_expired_entries_are_never_read_and_go_on_the_owners_next_save(world, settings):
    settings.WORK_IN_PROGRESS_TTL_DAYS = 30
    old = save(world.editor, "draft:1")
    WorkInProgress.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=31))
    assert selectors.work_in_progress_for(world.editor, "draft:1") is None
    save(world.editor, "draft:2")
    assert not WorkInProgress.objects.filter(pk=old.pk).exists()


def test_the_purge_command_deletes_everyones_expired_entries(world):
    keep = save(world.editor, "draft:1")
    gone = [save(world.editor2, "draft:2"), save(world.editor, "draft:3")]
    WorkInProgress.objects.filter(pk__in=[g.pk for g in gone]).update(
        updated_at=timezone.now() - dt.timedelta(days=40))
    out = StringIO()
    call_command("purge_work_in_progress", stdout=out)
    assert "已删除 2 份" in out.getvalue()
    assert list(WorkInProgress.objects.values_list("pk", flat=True)) == [keep.pk]


def test_discard_says_whether_there_was_anything(world):
    save(world.editor, "draft:1")
    assert services.work_in_progress_discard(actor=world.editor, key="draft:1") is True
    assert services.work_in_progress_discard(actor=world.editor, key="draft:1") is False
    assert services.work_in_progress_discard(actor=world.editor, key="not a key") is False


def test_nobody_administers_it(world, client):
    from django.contrib import admin

    assert WorkInProgress not in admin.site._registry
    save(world.editor)
    client.force_login(factories.superuser())
    assert client.get("/admin/content/workinprogress/").status_code == 404
