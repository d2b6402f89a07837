"""The publishing API: the channel (secrets write-only), a publication's state, the feed."""
import pytest

from content.models import PublishingChannel
from tests.api.helpers import approved
from workflow import services

pytestmark = pytest.mark.django_db


def test_channel_put_never_returns_the_secret(world, api):
    client = api(world.admin)
    url = f"/api/v1/accounts/{world.account.pk}/channel/"
    response = client.put(url, {"kind": "wechat", "app_id": "wx1234567890abcd", "app_secret": "s3cret-value-123456"},
                          format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "wechat" and body["has_secret"] is True and "s3cret" not in response.content.decode()
    assert body["callback_url"].endswith(f"/hooks/wechat/{world.account.pk}/") and body["callback_token"]
    assert PublishingChannel.objects.get(account=world.account).secret.startswith("enc1:")
    bad = client.put(url, {"kind": "webhook", "url": "ftp://x"}, format="json")
    assert bad.status_code == 400 and bad.json()["fields"]["url"]
    assert client.get(url).json()["kind"] == "wechat"


def test_publish_answers_with_the_publication_state(world, api):
    sub = approved(world)
    response = api(world.publisher).post(f"/api/v1/submissions/{sub.pk}/publish/",
                                         {"external_url": "https://mp.weixin.qq.com/s/x"}, format="json")
    assert response.status_code == 200
    assert response.json()["publication"]["state"] == "published"
    assert response.json()["publication"]["external_url"] == "https://mp.weixin.qq.com/s/x"


def test_the_feed_lists_published_items_with_their_hash(world, api):
    sub = services.submission_publish(actor=world.publisher, submission_id=approved(world).pk,
                                      external_url="https://mp.weixin.qq.com/s/a")
    client = api(world.manager)
    response = client.get(f"/api/v1/accounts/{world.account.pk}/feed/")
    assert response.status_code == 200
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    [item] = feed["items"]
    assert item["_review"]["revision_hash"] == sub.revision.content_hash
    assert item["url"] == "https://mp.weixin.qq.com/s/a"
    assert api(world.outsider).get(f"/api/v1/accounts/{world.account.pk}/feed/").status_code == 403
