"""The website patrol against a fixture site on loopback: the findings are
compared with what the fixture contains, and no request leaves the test's
own two servers (the site and its "external" neighbour)."""
import datetime as dt
import json
import ssl
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from operations.discovery.crawler import PatrolConfig, normalise, patrol
from operations.discovery.pages import read_page
from reviewers.precheck import load_shipped_lexicon, run_precheck
from tests import factories
from tests.operations.fixture_site import MOBILE, SLOW_SECONDS, TYPO, FixtureSite

TODAY = dt.date(2026, 12, 3)
UA = "EduNewMediaPatrol/1.0 (+mailto:patrol@test.example)"


def _config(**overrides):
    values = dict(host_interval=0, timeout=3, slow_seconds=SLOW_SECONDS / 2, user_agent=UA, today=TODAY)
    values.update(overrides)
    return PatrolConfig(**values)


def _precheck():
    lexicon = load_shipped_lexicon()
    return lambda title, html: run_precheck(title=title, body_html=html, lexicon=lexicon, today=TODAY)


@pytest.fixture(scope="module")
def crawled():
    with FixtureSite(TODAY) as site:
        result = patrol(site.url, config=_config(), precheck=_precheck())
        yield site, result


def _by_kind(result, kind):
    return [f for f in result.findings if f.kind == kind]


def _paths(site, findings):
    return sorted(f.url.replace(site.url[:-1], "").replace(site.external_url[:-1], "ext:") for f in findings)


def test_the_pages_read_and_only_the_test_servers_asked(crawled):
    site, result = crawled
    # home, news (+2), notices (+2), policy (+1), events, about, slow: 12 HTML pages read
    assert result.pages == 12
    assert {server for server, *_rest in site.requests} == {"main", "external"}
    assert all(agent == UA for *_rest, agent in site.requests)


def test_robots_txt_is_read_first_and_obeyed(crawled):
    site, _result = crawled
    paths = site.paths("main")
    assert paths.index("/robots.txt") == 1  # right after the home page
    assert paths.count("/robots.txt") == 1
    assert "/private/secret.html" not in paths


def test_broken_links_internal_and_external_and_the_redirect_loop(crawled):
    site, result = crawled
    broken = _by_kind(result, "broken_link")
    assert _paths(site, broken) == ["/loop/a", "/missing.html", "/policy/old.html", "ext:/gone"]
    loop = next(f for f in broken if f.url.endswith("/loop/a"))
    assert "重定向循环" in loop.detail
    missing = next(f for f in broken if f.url.endswith("/missing.html"))
    assert missing.text == "已删除的页面" and "404" in missing.detail and site.url in missing.detail


def test_external_links_are_checked_with_head_then_get_and_never_crawled(crawled):
    site, _result = crawled
    assert sorted(site.paths("external", "HEAD")) == ["/gone", "/nohead", "/ok"]
    # GET only where HEAD was refused (405) or failed (404): /ok answered HEAD
    assert sorted(site.paths("external", "GET")) == ["/gone", "/nohead"]


def test_the_stale_column_and_the_blank_column(crawled):
    site, result = crawled
    stale = _by_kind(result, "stale_column")
    assert _paths(site, stale) == ["/notices/"]  # news 10 days old and policy 30 days old are within their limits
    assert stale[0].text == "通知公告" and "200 天" in stale[0].detail
    blank = _by_kind(result, "blank_column")
    assert _paths(site, blank) == ["/events/"] and blank[0].text == "活动专栏"


def test_the_policy_column_would_be_stale_under_the_news_limit():
    with FixtureSite(TODAY) as site:
        result = patrol(site.url, config=_config(notice_stale_days=20, max_external=0), precheck=None)
    assert _paths(site, _by_kind(result, "stale_column")) == ["/notices/", "/policy/"]


def test_the_precheck_finds_the_mobile_number_and_the_typo(crawled):
    site, result = crawled
    found = {(f.url.replace(site.url[:-1], ""), f.dimension, f.text) for f in _by_kind(result, "precheck")}
    assert ("/news/1.html", "secrecy", MOBILE) in found
    assert ("/news/1.html", "wording", TYPO) in found
    mobile = next(f for f in result.findings if f.text == MOBILE)
    assert mobile.severity == "blocker" and mobile.as_dict()["dimension"] == "secrecy"
    # the robots-excluded page holds the same number: never fetched, never reported twice
    assert [f.text for f in result.findings].count(MOBILE) == 1


def test_future_and_contradicting_dates(crawled):
    site, result = crawled
    dates = {f.url.replace(site.url[:-1], ""): f for f in _by_kind(result, "date_conflict")}
    assert set(dates) == {"/notices/1.html", "/news/2.html"}
    assert dates["/notices/1.html"].severity == "blocker" and "晚于" in dates["/notices/1.html"].detail
    assert "不一致" in dates["/news/2.html"].detail


def test_the_slow_page(crawled):
    site, result = crawled
    assert _paths(site, _by_kind(result, "slow")) == ["/slow/"]


def test_nothing_else_is_reported(crawled):
    _site, result = crawled
    kinds = {f.kind for f in result.findings}
    assert kinds == {"slow", "broken_link", "stale_column", "blank_column", "precheck", "date_conflict"}
    assert not _by_kind(result, "unreachable") and not _by_kind(result, "tls")


def test_the_page_budget_and_the_depth_limit():
    with FixtureSite(TODAY) as site:
        result = patrol(site.url, config=_config(max_pages=3, max_external=0), precheck=None)
    assert result.pages == 3
    with FixtureSite(TODAY) as site:
        result = patrol(site.url, config=_config(max_depth=1, max_external=0), precheck=None)
        fetched = site.paths("main")
    # depth 1: what the home page links to, not what its columns link to
    assert {"/news/", "/news/1.html", "/missing.html"} <= set(fetched)
    assert not {"/news/2.html", "/notices/1.html", "/policy/1.html"} & set(fetched)


def test_the_external_budget():
    with FixtureSite(TODAY) as site:
        patrol(site.url, config=_config(max_external=1), precheck=None)
        assert len(site.paths("external", "HEAD")) == 1


def test_the_per_host_rate_limit():
    with FixtureSite(TODAY) as site:
        result = patrol(site.url, config=_config(host_interval=0.05, max_pages=4, max_external=0), precheck=None)
    # 4 pages + robots.txt on one host: at least four intervals between five requests
    assert result.requests >= 5 and result.seconds >= 4 * 0.05


def test_an_unreachable_home_page():
    with FixtureSite(TODAY) as site:
        url = site.url
    result = patrol(url, config=_config(timeout=1), precheck=None)
    assert [f.kind for f in result.findings] == ["unreachable"]
    assert result.findings[0].severity == "blocker" and result.pages == 0


def test_a_slow_home_page_and_a_timeout():
    with FixtureSite(TODAY) as site:
        result = patrol(site.url + "slow/", config=_config(max_external=0, max_pages=1), precheck=None)
        assert [f.kind for f in result.findings] == ["slow"] and result.findings[0].text == "首页"
        result = patrol(site.url + "slow/", config=_config(timeout=SLOW_SECONDS / 3), precheck=None)
    assert [f.kind for f in result.findings] == ["unreachable"] and "超时" in result.findings[0].detail


def test_https_expired_certificate_and_mixed_content():
    with FixtureSite(TODAY, https=True, expired=True) as site:
        refused = patrol(site.url, config=_config(today=dt.date.today(), max_external=0), precheck=None)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        read = patrol(site.url, config=_config(today=dt.date.today(), max_external=0, verify=context), precheck=None)
    # verified as in production: the handshake fails and the certificate's expiry is named
    assert {f.kind for f in refused.findings} == {"tls", "unreachable"}
    assert any("过期" in f.detail for f in refused.findings if f.kind == "tls")
    tls = _by_kind(read, "tls")
    assert any("过期" in f.detail and f.severity == "blocker" for f in tls)
    mixed = [f for f in tls if "混合内容" in f.detail]
    assert [f.text for f in mixed] == ["http://127.0.0.1/logo.png"]
    assert read.pages > 1


def test_normalise_and_page_reading():
    assert normalise("HTTP://Example.EDU.cn:80/a?b=1#top") == "http://example.edu.cn/a?b=1"
    assert normalise("https://example.edu.cn:8443") == "https://example.edu.cn:8443/"
    page = read_page("<html><head><title>通知公告</title></head><body><ul><li><a href='1.html'>一</a>"
                     "2026年11月2日</li><li><a href='javascript:void(0)'>x</a></li></ul>"
                     "<script>var t='13812345678'</script><p>发布日期：2026-11-02</p></body></html>",
                     "http://example.edu.cn/notices/")
    assert page.title == "通知公告"
    assert [(i.day, i.url) for i in page.items] == [(dt.date(2026, 11, 2), "http://example.edu.cn/notices/1.html")]
    assert page.published == [dt.date(2026, 11, 2)]
    assert "13812345678" not in page.body_html


# ---------------------------------------------------------------- the command

@pytest.mark.django_db
def test_patrol_site_json(settings):
    settings.PATROL_HOST_INTERVAL_MS = 0
    settings.PATROL_SLOW_SECONDS = SLOW_SECONDS / 2
    settings.PATROL_CONTACT = "patrol@test.example"
    org = factories.org("T1", kind="school", name="测试学校")
    with FixtureSite(dt.date.today()) as site:
        account = factories.account(org, platform="website", handle=site.url)
        out = StringIO()
        call_command("patrol_site", "--account", str(account.pk), "--json", stdout=out)
        agents = {agent for *_rest, agent in site.requests}
    payload = json.loads(out.getvalue())
    assert payload["pages"] == 12
    assert agents == {UA}
    kinds = {f["kind"] for f in payload["findings"]}
    assert kinds == {"slow", "broken_link", "stale_column", "blank_column", "precheck", "date_conflict"}
    for finding in payload["findings"]:
        expected = {"kind", "url", "text", "detail", "severity"} | ({"dimension"} if finding["kind"] == "precheck"
                                                                    else set())
        assert set(finding) == expected


@pytest.mark.django_db
def test_patrol_site_url_override_and_refusals(settings):
    settings.PATROL_HOST_INTERVAL_MS = 0
    org = factories.org("T2", kind="school", name="测试学校二")
    account = factories.account(org, platform="wechat", handle="gh_123")
    with pytest.raises(CommandError, match="账号不存在"):
        call_command("patrol_site", "--account", "999999")
    with pytest.raises(CommandError, match="没有登记网址"):
        call_command("patrol_site", "--account", str(account.pk))
    with pytest.raises(CommandError, match="巡查地址无效"):
        call_command("patrol_site", "--account", str(account.pk), "--url", "ftp://example.org/")
    with FixtureSite(dt.date.today()) as site:
        out = StringIO()
        call_command("patrol_site", "--account", str(account.pk), "--url", site.url + "about/", stdout=out)
    assert "巡查" in out.getvalue() and "个页面" in out.getvalue()
