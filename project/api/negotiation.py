"""Content negotiation for the API views: always JSON.

The ``format`` query parameter belongs to the audit export (csv|jsonl), so
DRF's ``?format=`` renderer override must not claim it; and a client asking
for text/html still gets a JSON answer rather than 406.
"""
from rest_framework.negotiation import DefaultContentNegotiation


class JSONOnlyNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
