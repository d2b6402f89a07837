"""The REST API under /api/v1/ (Django REST framework + drf-spectacular).

A view parses its input with a serializer, calls one service or selector of
the apps below, and serialises what comes back. Rules live in the services and
permission functions; errors leave through ``exceptions.exception_handler`` as
``{"code", "detail", "fields"}``.
"""
