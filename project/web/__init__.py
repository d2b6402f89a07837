"""The everyday web pages for every role (server-rendered, zh-hans).

Views call the apps' selectors and services only; domain errors become a
message on the page (see ``project.web.common``), never an error page.
"""
