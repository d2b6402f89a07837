"""Forms of the editor's pages. They only shape input and give Chinese
messages next to the fields; the services validate and decide (sanitising,
permissions, repost rules)."""
from django import forms

TITLE_MAX = 300


class DraftForm(forms.Form):
    """Title, body and the repost fields; ``account`` only for a new draft,
    ``confirm_supersede`` only when saving will end a review round."""

    account = forms.IntegerField(
        label="发布账号", widget=forms.Select(attrs={"data-testid": "draft-account"}),
        error_messages={"required": "请选择发布账号", "invalid": "请选择发布账号"})
    title = forms.CharField(
        label="标题", max_length=TITLE_MAX, strip=True,
        widget=forms.TextInput(attrs={"data-testid": "draft-title", "autocomplete": "off"}),
        error_messages={"required": "标题不能为空", "max_length": "标题不能超过 300 个字符"})
    body = forms.CharField(
        label="正文", required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "data-rich-editor": "1", "data-testid": "draft-body"}),
        help_text="可使用标题、加粗、斜体、列表、链接、表格和图片；保存时服务器按统一规则清理 HTML。")
    is_repost = forms.BooleanField(label="转载稿件", required=False,
                                   widget=forms.CheckboxInput(attrs={"data-testid": "draft-is-repost"}),
                                   help_text="转载须注明来源名称、来源网址和原标题，不得歪曲原标题原意。")
    source_name = forms.CharField(label="来源名称", max_length=200, required=False,
                                  error_messages={"max_length": "来源名称不能超过 200 个字符"})
    source_url = forms.CharField(label="来源网址", max_length=500, required=False,
                                 widget=forms.URLInput(attrs={"placeholder": "https://"}),
                                 error_messages={"max_length": "来源网址不能超过 500 个字符"})
    original_title = forms.CharField(label="原标题", max_length=TITLE_MAX, required=False,
                                     error_messages={"max_length": "原标题不能超过 300 个字符"})
    confirm_supersede = forms.BooleanField(
        label="我已知晓：保存后本轮审核作废，稿件退回给我，需重新提交审核", required=False,
        widget=forms.CheckboxInput(attrs={"data-testid": "confirm-supersede"}))

    def __init__(self, *args, accounts=None, needs_confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_confirm = needs_confirm
        if accounts is None:
            del self.fields["account"]
        else:
            choices = [("", "—— 请选择 ——")] + [(a.pk, f"{a.name}（{a.get_platform_display()}） · {a.org.short_name}")
                                                for a in accounts]
            self.fields["account"].widget.choices = choices
        if not needs_confirm:
            del self.fields["confirm_supersede"]

    def clean(self):
        data = super().clean()
        if self.needs_confirm and not data.get("confirm_supersede"):
            self.add_error("confirm_supersede", "稿件正在审核或已审核通过，保存新版本将使本轮审核作废，请勾选确认")
        return data

    def content(self):
        """The keyword arguments of draft_create / draft_revise."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data.get("body") or "",
            "is_repost": bool(data.get("is_repost")),
            "source_name": data.get("source_name") or "",
            "source_url": data.get("source_url") or "",
            "original_title": data.get("original_title") or "",
        }


def content_from_post(post):
    """The (unsaved) content of a posted editor form, for the pre-check: no
    validation, missing fields are empty."""
    return {
        "title": post.get("title", ""),
        "body_html": post.get("body", ""),
        "is_repost": post.get("is_repost") in ("on", "1", "true", "True"),
        "source_name": post.get("source_name", ""),
        "source_url": post.get("source_url", ""),
        "original_title": post.get("original_title", ""),
    }


class ImageUploadForm(forms.Form):
    account = forms.IntegerField(label="发布账号", widget=forms.Select,
                                 error_messages={"required": "请选择发布账号", "invalid": "请选择发布账号"})
    file = forms.FileField(label="图片文件", required=False,
                           widget=forms.ClearableFileInput(
                               attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
                           help_text="PNG、JPEG、GIF 或 WebP，按文件内容识别。")
    source = forms.CharField(label="图片来源", max_length=300, required=False,
                             help_text="作者、出处或授权说明（图片版权须可追溯）。")
    alt = forms.CharField(label="替代文字", max_length=200, required=False,
                          help_text="为看不到图片的读者简要描述图片内容。")

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].widget.choices = [("", "—— 请选择 ——")] + [
            (a.pk, f"{a.name}（{a.get_platform_display()}）") for a in accounts]


class DraftSearchForm(forms.Form):
    """我的稿件's filters: state of the latest submission, title text, account,
    and the days of the last change (both included). An invalid field is left
    out of the search (``filters``) and its message shown."""

    state = forms.ChoiceField(label="送审状态", required=False,
                              error_messages={"invalid_choice": "送审状态的取值无效"})
    q = forms.CharField(label="标题包含", required=False, max_length=100,
                        error_messages={"max_length": "标题关键词不能超过 100 个字符"})
    account = forms.TypedChoiceField(label="账号", required=False, coerce=int, empty_value=None,
                                     error_messages={"invalid_choice": "您没有为该账号撰写的稿件"})
    date_from = forms.DateField(label="更新日期自", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages={"invalid": "日期格式应为 YYYY-MM-DD"})
    date_to = forms.DateField(label="至（含当天）", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages={"invalid": "日期格式应为 YYYY-MM-DD"})

    def __init__(self, data=None, *, states=(), accounts=()):
        super().__init__(data)
        self.fields["state"].choices = list(states)
        self.fields["account"].choices = [("", "全部账号")] + [
            (a.pk, f"{a.name}（{a.get_platform_display()}）") for a in accounts]
        self.fields["state"].widget.attrs.update({"id": "state-filter", "data-testid": "state-filter"})
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "标题关键词",
                                              "data-testid": "drafts-filter-q"})
        self.fields["account"].widget.attrs["data-testid"] = "drafts-filter-account"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data

    def filters(self):
        """The valid filters for workflow.selectors.drafts_of_author (and the state)."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {"state": data.get("state") or "", "text": (data.get("q") or "").strip(),
                "account_id": data.get("account"), "updated_from": data.get("date_from"),
                "updated_to": data.get("date_to")}
