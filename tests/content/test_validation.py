"""Shapes of the registry's contact fields (content.validation) and their use by
content.services.account_open / account_change, so that a 10-digit mobile
number never becomes an immutable 变更 filing."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content import services, validation
from content.errors import ValidationFailed
from content.models import AccountFiling, MediaAccount
from content.validation import FieldInvalid

TODAY = dt.date(2026, 3, 1)


# ---------------------------------------------------------------- the pure checks

@pytest.mark.parametrize("value, expected", [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-13800138000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),  # full-width digits
    ("19912345678", "19912345678"),
])
def test_mobile_numbers_are_normalised(value, expected):
    assert validation.normalise_mobile(value) == expected


@pytest.mark.parametrize("value", [
    "1380013800",      # 10 digits: the number that became a filing
    "138001380001",    # 12 digits
    "12800138000",     # second digit 2
    "23800138000",
    "020-12345678",    # a landline is not a mobile
    "1380013800a",
    "+1 13800138000",
])
def test_mobile_numbers_refused(value):
    with pytest.raises(FieldInvalid) as error:
        validation.normalise_mobile(value)
    assert "11 位" in str(error.value)


@pytest.mark.parametrize("value, expected", [
    ("020-12345678", "020-12345678"),
    ("02012345678", "020-12345678"),
    ("020 12345678", "020-12345678"),
    ("(020)12345678", "020-12345678"),
    ("（020）12345678", "020-12345678"),
    ("0755-1234567", "0755-1234567"),
    ("07551234567", "0755-1234567"),
    ("075512345678", "0755-12345678"),
    ("010-87654321-123", "010-87654321-123"),
    ("02012345678-9", "020-12345678-9"),
    ("020 8888 6666", "020-88886666"),       # digits in groups
    ("0755 123 4567", "0755-1234567"),
    ("0755-1234567-8", "0755-1234567-8"),
    ("13800138000", "13800138000"),  # a contact phone may be a mobile number
    ("+86 138-0013-8000", "13800138000"),
])
def test_phones_are_a_mobile_or_a_landline_with_area_code(value, expected):
    assert validation.normalise_phone(value) == expected


@pytest.mark.parametrize("value", [
    "12345678",             # no area code
    "020-1234",             # local number too short
    "020-123456789",        # too long
    "20-12345678",          # area code without its 0
    "020-12345678-1234567", # extension too long
    "1380013800",
    "电话020-12345678",
])
def test_phones_refused(value):
    with pytest.raises(FieldInvalid) as error:
        validation.normalise_phone(value)
    assert "区号" in str(error.value)


@pytest.mark.parametrize("value", ["https://edu.gd.gov.cn", "http://www.gz1z.edu.cn/index.html?x=1",
                                   "https://localhost:8000/"])
def test_urls_with_a_host(value):
    assert validation.normalise_url(value) == value


@pytest.mark.parametrize("value", ["edu.gd.gov.cn", "www.gz1z.edu.cn", "ftp://edu.gd.gov.cn", "javascript:alert(1)",
                                   "https://", "http://nohost", "https://exa mple.org", "https://[::1"])
def test_urls_refused(value):
    with pytest.raises(FieldInvalid) as error:
        validation.normalise_url(value)
    assert "http://" in str(error.value)


@pytest.mark.parametrize("value, expected", [
    ("粤ICP备12345678号", "粤ICP备12345678号"),
    ("粤ICP备12345678号-1", "粤ICP备12345678号-1"),
    ("粤 icp 备 12345678 号－2", "粤ICP备12345678号-2"),
    ("京ICP备2021012345号", "京ICP备2021012345号"),
])
def test_icp_record_numbers(value, expected):
    assert validation.normalise_icp_record(value) == expected


@pytest.mark.parametrize("value", ["ICP备12345678号", "粤ICP12345678号", "粤ICP备12345678", "粤ICP证12345678号",
                                   "12345678", "港ICP备12345678号", "粤ICP备12345678号-"])
def test_icp_record_numbers_refused(value):
    with pytest.raises(FieldInvalid) as error:
        validation.normalise_icp_record(value)
    assert "粤ICP备12345678号" in str(error.value)


def test_opening_date_not_in_the_future():
    assert validation.check_opened_on(TODAY, today=TODAY) == TODAY
    with pytest.raises(FieldInvalid) as error:
        validation.check_opened_on(TODAY + dt.timedelta(days=1), today=TODAY)
    assert "开通时间不能晚于今天" in str(error.value)


def test_registry_field_errors_names_each_field_and_normalises_the_rest():
    values = {"owner_mobile": "1380013800", "leader_phone": "020 12345678", "ops_phone": "123",
              "icp_record": "粤ICP备123号", "handle": "edu.gd.gov.cn", "opened_on": TODAY + dt.timedelta(days=3),
              "staff": [{"name": "甲", "title": "", "phone": "138 0013 8000"}, {"name": "乙", "title": "", "phone": "9"}],
              "owner_name": "张三"}
    normalised, errors = validation.registry_field_errors(values, platform="website", today=TODAY)
    assert set(errors) == {"owner_mobile", "ops_phone", "icp_record", "handle", "opened_on", "staff.1.phone"}
    assert normalised["leader_phone"] == "020-12345678"
    assert normalised["staff"][0]["phone"] == "13800138000"
    assert normalised["owner_name"] == "张三"
    # empty values are optional fields left empty
    assert validation.registry_field_errors({"owner_mobile": "", "icp_record": "", "opened_on": None},
                                            platform="website", today=TODAY) == (
        {"owner_mobile": "", "icp_record": "", "opened_on": None}, {})


def test_a_handle_is_an_address_for_a_website_and_when_it_looks_like_one():
    assert validation.registry_field_errors({"handle": "gdjyt"}, platform="wechat", today=TODAY)[1] == {}
    assert set(validation.registry_field_errors({"handle": "gdjyt"}, platform="website", today=TODAY)[1]) == {
        "handle"}
    assert set(validation.registry_field_errors({"handle": "http:/weibo.com"}, platform="weibo",
                                                today=TODAY)[1]) == {"handle"}


# ---------------------------------------------------------------- the services

@pytest.mark.django_db
def test_open_refuses_a_ten_digit_mobile_and_writes_nothing(world):
    before = (MediaAccount.objects.count(), AccountFiling.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as error:
        services.account_open(actor=world.manager, org=world.school, name="微博", handle="wb", platform="weibo",
                              owner_mobile="1380013800", leader_phone="020-1234",
                              staff=[{"name": "甲", "phone": "13800138000"}, {"name": "乙", "phone": "12"}])
    assert set(error.value.fields) == {"owner_mobile", "leader_phone", "staff.1.phone"}
    assert "11 位" in error.value.fields["owner_mobile"][0]
    assert (MediaAccount.objects.count(), AccountFiling.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_open_stores_the_normalised_values(world):
    account = services.account_open(
        actor=world.manager, org=world.school, name="门户网站", handle=" https://www.gz1z.edu.cn ",
        platform="website", owner_mobile="+86 138-0013-8000", leader_phone="(020)12345678", ops_phone="13900001111",
        icp_record="粤icp备12345678号-1", opened_on=timezone.localdate().isoformat(),
        staff=[{"name": "甲", "title": "干事", "phone": "0755 1234567"}])
    account.refresh_from_db()
    assert (account.handle, account.owner_mobile, account.leader_phone, account.ops_phone, account.icp_record) == (
        "https://www.gz1z.edu.cn", "13800138000", "020-12345678", "13900001111", "粤ICP备12345678号-1")
    assert account.staff == [{"name": "甲", "title": "干事", "phone": "0755-1234567"}]
    filing = AccountFiling.objects.get(account=account)
    assert filing.snapshot["owner_mobile"] == "13800138000"


@pytest.mark.django_db
def test_open_refuses_a_future_opening_date_and_a_website_without_address(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as error:
        services.account_open(actor=world.manager, org=world.school, name="门户", handle="www.gz1z.edu.cn",
                              platform="website", opened_on=tomorrow.isoformat(), icp_record="粤ICP备号")
    assert set(error.value.fields) == {"handle", "opened_on", "icp_record"}


@pytest.mark.django_db
def test_change_refuses_an_invalid_mobile_and_files_nothing(world):
    filings = AccountFiling.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.account_change(actor=world.manager, account_id=world.account.pk,
                                changes={"owner_mobile": "1380013800"})
    assert list(error.value.fields) == ["owner_mobile"]
    assert AccountFiling.objects.count() == filings
    world.account.refresh_from_db()
    assert world.account.owner_mobile == ""


@pytest.mark.django_db
def test_change_files_the_normalised_value_and_a_same_number_is_no_change(world):
    services.account_change(actor=world.manager, account_id=world.account.pk,
                            changes={"owner_mobile": "138 0013 8000"})
    filing = AccountFiling.objects.filter(account=world.account, kind="change").get()
    assert filing.changes == {"owner_mobile": {"old": "", "new": "13800138000"}}
    # the same number typed differently changes nothing
    with pytest.raises(ValidationFailed) as error:
        services.account_change(actor=world.manager, account_id=world.account.pk,
                                changes={"owner_mobile": "+86 13800138000"})
    assert error.value.code == "no_change"


@pytest.mark.django_db
def test_changing_the_platform_to_website_checks_the_handle(world):
    with pytest.raises(ValidationFailed) as error:
        services.account_change(actor=world.manager, account_id=world.account.pk, changes={"platform": "website"})
    assert list(error.value.fields) == ["handle"]


@pytest.mark.django_db
def test_an_old_value_of_another_field_does_not_block_a_change(world):
    """Only the fields being written are checked: a record opened before the
    checks existed can still be changed field by field."""
    MediaAccount.objects.filter(pk=world.account.pk).update(owner_mobile="1380013800")  # legacy data
    services.account_change(actor=world.manager, account_id=world.account.pk, changes={"followers": 10})
    world.account.refresh_from_db()
    assert world.account.followers == 10
