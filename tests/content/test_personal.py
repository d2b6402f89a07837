"""The one list of personal-data fields and how each is masked (content.personal)."""
from content import personal
from content.models import PERSONAL_FIELDS, REGISTRY_FIELDS


def test_the_list_covers_names_mobiles_wechat_ids_and_phones_of_owners_and_staff():
    assert PERSONAL_FIELDS is personal.PERSONAL_FIELDS
    assert set(PERSONAL_FIELDS) <= set(REGISTRY_FIELDS)
    assert {"owner_name", "owner_mobile", "owner_wechat", "leader_name", "leader_phone", "ops_name", "ops_phone",
            "staff"} == set(PERSONAL_FIELDS)


def test_masks():
    assert personal.mask_value("owner_mobile", "13812345678") == "138****5678"
    assert personal.mask_value("leader_phone", "020-11110001") == "020*****0001"
    assert personal.mask_value("owner_name", "张三") == "张*"
    assert personal.mask_value("ops_name", "欧阳娜娜") == "欧***"
    assert personal.mask_value("owner_wechat", "zhang_wx") == "zh****wx"
    assert personal.mask_value("owner_mobile", "") == "" and personal.mask_value("owner_mobile", None) is None
    assert personal.mask_value("name", "广州一中") == "广州一中"  # not personal data
    assert personal.mask_value("staff", [{"name": "李工作", "title": "干事", "phone": "13900001111"}]) == [
        {"name": "李**", "title": "干事", "phone": "139****1111"}]


def test_mask_registry_and_changes_keep_what_is_revealed():
    record = {"name": "广州一中", "owner_mobile": "13812345678", "owner_name": "张三"}
    assert personal.mask_registry(record) == {"name": "广州一中", "owner_mobile": "138****5678", "owner_name": "张*"}
    assert personal.mask_registry(record, keep={"owner_mobile"})["owner_mobile"] == "13812345678"
    changes = {"owner_mobile": {"old": "13812345678", "new": "13900001111"}, "followers": {"old": 1, "new": 2}}
    assert personal.mask_changes(changes) == {"owner_mobile": {"old": "138****5678", "new": "139****1111"},
                                              "followers": {"old": 1, "new": 2}}
