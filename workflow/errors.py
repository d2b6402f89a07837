"""The workflow's "not yours or does not exist" errors (403, one message each).

The domain error classes themselves are content.errors'; these name the
workflow's objects so that every page, the API and the services give the same
answer for a submission or publication that is hidden and one that is missing."""
from django.utils.translation import gettext_lazy as _

from content.errors import NotAllowed


class SubmissionHidden(NotAllowed):
    default_message = _("没有权限访问该送审单")


class PublicationHidden(NotAllowed):
    default_message = _("没有权限访问该发布记录")
