"""Drafts and their immutable revisions: sanitising, text extraction, the
content hash, refusals and auditing."""
import pytest

from audit.models import AuditEntry
from content import services
from content.errors import AccountClosed, Conflict, NotAllowed, ValidationFailed
from content.hashing import HASHED_CONTENT_FIELDS, content_hash
from content.models import Draft, Revision
from content.sanitize import clean_html, clean_text, html_to_text
from tests import factories
from workflow.services import draft_revise

NASTY = (
    '<h2>通知</h2>'
    '<p><strong>重要</strong>：<script>alert("x")</script>请'
    '<img src="https://img.example.org/a.png" onerror="alert(1)" alt="图">'
    '<a href="javascript:alert(2)">点这里</a>或'
    '<a href="https://www.gd.gov.cn/" onclick="steal()">省政府网站</a></p>'
    '<table><tr><th>项目</th><td>时间</td></tr></table>'
    '<iframe src="https://evil.example/"></iframe><style>p{}</style>'
)


def create(world, **kwargs):
    kwargs.setdefault("title", "关于举行秋季运动会的通知")
    kwargs.setdefault("body", "<p>全校师生参加。</p>")
    return services.draft_create(actor=kwargs.pop("actor", world.editor), account_id=kwargs.pop(
        "account_id", world.account.pk), **kwargs)


# ---------------------------------------------------------------- sanitising (direct)

def test_clean_html_removes_scripts_handlers_and_javascript_links():
    out = clean_html(NASTY)
    assert "<script" not in out and 'alert("x")' not in out
    assert "onerror" not in out and "onclick" not in out
    assert "javascript:" not in out
    assert "<iframe" not in out and "<style" not in out and "p{}" not in out


def test_clean_html_keeps_the_allowed_tags_and_safe_links():
    out = clean_html(NASTY)
    assert "<h2>通知</h2>" in out
    assert "<strong>重要</strong>" in out
    assert "<table>" in out and "<th>项目</th>" in out and "<td>时间</td>" in out
    assert 'href="https://www.gd.gov.cn/"' in out
    assert '<img alt="图">' in out  # a remote image loses its address (only our uploads are kept)
    assert "点这里" in out  # the text of a dropped link stays


def test_clean_html_forces_rel_noopener_on_links():
    out = clean_html('<a href="https://example.org/" target="_blank" rel="opener">x</a>')
    assert 'rel="noopener noreferrer"' in out
    assert 'rel="opener"' not in out and "target=" not in out


def test_clean_html_drops_unknown_tags_but_keeps_their_text_and_comments_go():
    out = clean_html("<p><font color=red>红字</font><!-- 内部备注 --></p>")
    assert out == "<p>红字</p>"


def test_clean_html_on_empty_input():
    assert clean_html(None) == "" and clean_html("") == ""


def test_clean_text_strips_markup_and_collapses_white_space():
    assert clean_text("  <b>关于</b>\n\t举行&amp;运动会  ") == "关于 举行&运动会"
    assert clean_text("<script>x</script>标题") == "标题"
    assert clean_text(None) == ""


def test_html_to_text_keeps_a_split_number_whole():
    assert html_to_text("<p>电话：<b>138</b>1234<span>5678</span></p>") == "电话：13812345678"


def test_html_to_text_turns_blocks_into_lines_and_decodes_entities():
    text = html_to_text("<h2>标题</h2><p>第一段&amp;</p><ul><li>一</li><li>二</li></ul><p>末<br>行</p>")
    assert text.split("\n") == ["标题", "第一段&", "一", "二", "末", "行"]
    assert html_to_text("") == ""


# ---------------------------------------------------------------- draft_create

def test_create_makes_revision_one_with_sanitised_html_and_text(world):
    draft = create(world, title="  <i>运动会</i> 通知 ", body=NASTY + "<p>联系电话<b>138</b>1234<span>5678</span></p>")
    rev = draft.current_revision
    assert rev.number == 1 and rev.draft_id == draft.pk and rev.author_id == world.editor.pk
    assert Revision.objects.filter(draft=draft).count() == 1
    assert draft.title == rev.title == "运动会 通知"
    assert draft.author_id == world.editor.pk and draft.account_id == world.account.pk
    stored = Revision.objects.get(pk=rev.pk)
    assert stored.body_html == clean_html(NASTY + "<p>联系电话<b>138</b>1234<span>5678</span></p>")
    assert "<script" not in stored.body_html and "onerror" not in stored.body_html
    assert "javascript:" not in stored.body_html
    assert "<h2>通知</h2>" in stored.body_html and "<table>" in stored.body_html
    assert 'rel="noopener noreferrer"' in stored.body_html
    assert "13812345678" in stored.body_text
    assert 'alert' not in stored.body_text


def test_content_hash_is_the_hash_over_the_hashed_fields(world):
    draft = create(world, is_repost=True, source_name="教育部", source_url="https://www.moe.gov.cn/a.html",
                   original_title="原标题")
    rev = Revision.objects.get(pk=draft.current_revision_id)
    expected = content_hash({name: getattr(rev, name) for name in HASHED_CONTENT_FIELDS})
    assert rev.content_hash == expected == rev.recompute_hash()
    assert len(rev.content_hash) == 64


@pytest.mark.parametrize("change", [
    {"title": "关于举行冬季运动会的通知"},
    {"body": "<p>全校师生参加！</p>"},
    {"body": "<p><strong>全校师生参加。</strong></p>"},
    {"is_repost": True},
    {"source_name": "教育部"},
    {"source_url": "https://www.moe.gov.cn/"},
    {"original_title": "原题"},
])
def test_content_hash_changes_with_each_hashed_field(world, change):
    base = create(world).current_revision.content_hash
    changed = create(world, **change).current_revision.content_hash
    assert changed != base


def test_content_hash_is_stable_for_equal_content(world):
    a = create(world).current_revision
    b = create(world, actor=world.editor2, title=" 关于举行秋季运动会的通知").current_revision
    assert a.content_hash == b.content_hash
    # markup the policy removes does not change what is reviewed
    c = create(world, body='<p onclick="x()">全校师生参加。</p><script>1</script>').current_revision
    assert c.content_hash == a.content_hash


def test_create_writes_one_audit_entry(world):
    before = AuditEntry.objects.count()
    draft = create(world)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "content.draft.created"
    assert (entry.actor_id, entry.target_type, entry.target_id) == (world.editor.pk, "content.draft", str(draft.pk))
    assert (entry.org_path, entry.account_id, entry.draft_id) == (world.school.path, world.account.pk, draft.pk)
    rev = draft.current_revision
    assert entry.data == {"revision": 1, "hash": rev.content_hash, "title": rev.title}


@pytest.mark.parametrize("who", ["reviewer", "publisher", "manager", "outsider"])
def test_create_refused_without_the_draft_permission(world, who):
    actor = world.reviewers[0] if who == "reviewer" else getattr(world, who)
    before = AuditEntry.objects.count()
    with pytest.raises(NotAllowed):
        create(world, actor=actor)
    assert not Draft.objects.exists() and AuditEntry.objects.count() == before


def test_create_refused_for_an_account_the_editor_is_not_authorised_for(world):
    other = factories.account(world.school, platform="weibo")
    with pytest.raises(NotAllowed):
        create(world, account_id=other.pk)
    with pytest.raises(NotAllowed):
        create(world, account_id=987654)
    assert not Draft.objects.exists()


def test_create_refused_on_a_closed_account(world):
    services.account_close(actor=world.manager, account_id=world.account.pk)
    with pytest.raises(AccountClosed):
        create(world)
    assert not Draft.objects.exists()
    assert not AuditEntry.objects.filter(action="content.draft.created").exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "<b></b>"}, "title"),
    ({"title": "标" * 301}, "title"),
    ({"source_url": "not a url"}, "source_url"),
    ({"source_url": "javascript:alert(1)"}, "source_url"),
    ({"source_url": "ftp://files.example.org/a"}, "source_url"),
])
def test_create_refuses_invalid_fields(world, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        create(world, **kwargs)
    assert field in exc.value.fields
    assert not Draft.objects.exists() and not Revision.objects.exists()


def test_a_title_of_exactly_300_characters_is_accepted(world):
    assert len(create(world, title="标" * 300).title) == 300


# ---------------------------------------------------------------- immutability

def test_an_existing_revision_cannot_be_saved_again(world):
    rev = Revision.objects.get(pk=create(world).current_revision_id)
    rev.title = "偷偷改过的标题"
    with pytest.raises(Conflict) as exc:
        rev.save()
    assert exc.value.code == "revision_immutable"
    with pytest.raises(Conflict):
        Revision.objects.get(pk=rev.pk).save(update_fields=["body_html"])
    assert Revision.objects.get(pk=rev.pk).title == "关于举行秋季运动会的通知"


# ---------------------------------------------------------------- draft_revise

def test_revise_adds_numbered_revisions_and_audits_each(world):
    draft = create(world)
    first = draft.current_revision
    rev2 = draft_revise(actor=world.editor, draft_id=draft.pk, title="关于举行秋季运动会的通知（更正）",
                        body="<p>全校师生参加。</p>")
    rev3 = draft_revise(actor=world.editor, draft_id=draft.pk, title="关于举行秋季运动会的通知（更正）",
                        body="<p>全校师生参加。时间另行通知。</p>")
    assert [r.number for r in Revision.objects.filter(draft=draft).order_by("number")] == [1, 2, 3]
    assert (rev2.number, rev3.number) == (2, 3)
    assert len({first.content_hash, rev2.content_hash, rev3.content_hash}) == 3
    draft.refresh_from_db()
    assert draft.current_revision_id == rev3.pk and draft.title == "关于举行秋季运动会的通知（更正）"
    # earlier revisions are untouched
    assert Revision.objects.get(pk=first.pk).title == "关于举行秋季运动会的通知"
    revised = list(AuditEntry.objects.filter(action="content.draft.revised", draft_id=draft.pk).order_by("seq"))
    assert [e.data["revision"] for e in revised] == [2, 3]
    assert [e.data["hash"] for e in revised] == [rev2.content_hash, rev3.content_hash]
    assert all(e.actor_id == world.editor.pk and e.account_id == world.account.pk for e in revised)


def test_revise_with_identical_content_creates_nothing(world):
    draft = create(world)
    same = draft_revise(actor=world.editor, draft_id=draft.pk, title="关于举行秋季运动会的通知",
                        body="<p>全校师生参加。</p><script>x</script>")
    assert same.pk == draft.current_revision_id
    assert Revision.objects.filter(draft=draft).count() == 1
    assert not AuditEntry.objects.filter(action="content.draft.revised").exists()


def test_revise_refused_to_another_editor(world):
    draft = create(world)
    with pytest.raises(NotAllowed):
        draft_revise(actor=world.editor2, draft_id=draft.pk, title="别人改的", body="")
    assert Revision.objects.filter(draft=draft).count() == 1


def test_revise_refuses_invalid_content(world):
    draft = create(world)
    with pytest.raises(ValidationFailed) as exc:
        draft_revise(actor=world.editor, draft_id=draft.pk, title="", body="<p>x</p>")
    assert "title" in exc.value.fields
    assert Revision.objects.filter(draft=draft).count() == 1
