"""The site's icon: linked from every page of the site and served at /favicon.ico."""
import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders


def test_favicon_ico_leads_to_the_svg_icon_among_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/web/favicon.svg"
    assert client.post("/favicon.ico").status_code == 405
    path = finders.find("web/favicon.svg")
    assert path, "project/static/web/favicon.svg is missing"
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 32 32"
    # nothing in it that runs or loads: no script, no external reference
    text = open(path, encoding="utf-8").read()
    assert "<script" not in text and "href" not in text and "http://www.w3.org/2000/svg" in text


@pytest.mark.django_db
def test_every_page_links_the_icon(client, world):
    icon = '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">'
    assert icon in client.get("/login/").content.decode()
    client.force_login(world.auditor)
    for url in ("/", "/audit/", "/api/v1/docs/"):
        assert icon in client.get(url).content.decode(), url
