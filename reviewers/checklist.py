"""The five-dimension checklist every reviewer decision fills in (pure).

政治关、法律关、政策关、保密关、文字关: each dimension passes or fails, and a
failed dimension needs a comment saying why.
"""
from django.utils.translation import gettext_lazy as _

POLITICAL = "political"
LEGAL = "legal"
POLICY = "policy"
SECRECY = "secrecy"
WORDING = "wording"

DIMENSIONS = (POLITICAL, LEGAL, POLICY, SECRECY, WORDING)
DIMENSION_LABELS = {
    POLITICAL: _("政治关"),
    LEGAL: _("法律关"),
    POLICY: _("政策关"),
    SECRECY: _("保密关"),
    WORDING: _("文字关"),
}
PASS = "pass"
FAIL = "fail"
VERDICTS = (PASS, FAIL)
VERDICT_LABELS = {PASS: _("通过"), FAIL: _("不通过")}
MAX_COMMENT = 2000


def validate_checklist(verdicts, comments):
    """Check a decision's verdicts and comments.

    Returns ``(verdicts, comments, errors)``: cleaned dicts, and a
    {field: [message]} dict that is empty when the checklist is complete.
    """
    errors = {}
    verdicts = verdicts if isinstance(verdicts, dict) else {}
    comments = comments if isinstance(comments, dict) else {}
    clean_verdicts, clean_comments = {}, {}
    unknown = (set(verdicts) | set(comments)) - set(DIMENSIONS)
    for key in sorted(unknown):
        errors[f"verdicts.{key}"] = [str(_("未知的审核维度"))]
    for dim in DIMENSIONS:
        verdict = verdicts.get(dim)
        if verdict not in VERDICTS:
            errors[f"verdicts.{dim}"] = [str(_("请对%(dim)s给出“通过”或“不通过”")) % {"dim": DIMENSION_LABELS[dim]}]
            continue
        comment = comments.get(dim) or ""
        comment = comment.strip() if isinstance(comment, str) else ""
        if len(comment) > MAX_COMMENT:
            errors[f"comments.{dim}"] = [str(_("意见不能超过 2000 个字符"))]
        if verdict == FAIL and not comment:
            errors[f"comments.{dim}"] = [str(_("%(dim)s不通过时必须填写意见")) % {"dim": DIMENSION_LABELS[dim]}]
        clean_verdicts[dim] = verdict
        if comment:
            clean_comments[dim] = comment
    return clean_verdicts, clean_comments, errors


def all_passed(verdicts):
    return all(verdicts.get(dim) == PASS for dim in DIMENSIONS)


def failed_dimensions(verdicts):
    return [dim for dim in DIMENSIONS if verdicts.get(dim) == FAIL]
