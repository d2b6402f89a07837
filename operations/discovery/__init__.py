"""Technical discovery (技术发现): machines find, people confirm.

Pure modules (no ORM):

* ``crawler`` — the website patrol: fetches a site (httpx, lxml) within its own
  hosts, robots.txt, a page budget, a depth limit, a per-host rate limit and
  timeouts, and returns the pages it read and the findings of every check
  (``Finding``: kind, url, text, detail, severity, dimension).
* ``pages`` — what one HTML page says: its links, its columns' dated items,
  its publication dates, its mixed content.

The services that record a run, open problems and take a person's
confirmation live in ``operations.services``.
"""
