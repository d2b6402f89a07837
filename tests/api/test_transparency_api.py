"""The contract of the audit log's checkpoints and proofs through the API."""
import pytest

from audit import merkle, notes
from audit.services import audit_record, checkpoint_sign
from audit.signing import log_verifier
from tests.api.helpers import URL

pytestmark = pytest.mark.django_db
H = merkle.Hasher("sha256")


def test_latest_checkpoint_proof_and_consistency_verify_as_the_contract_says(world, api):
    client = api(world.auditor)
    assert client.get(URL + "/audit/checkpoints/latest/").status_code == 404
    for i in range(9):
        audit_record(action="audit.verify", org_path=world.school.path, data={"i": i})
    first = checkpoint_sign()
    for i in range(4):
        audit_record(action="audit.verify", org_path=world.school.path, data={"j": i})
    checkpoint_sign()
    latest = client.get(URL + "/audit/checkpoints/latest/").json()
    checkpoint = notes.verify_checkpoint(latest["note"], log_verifier())
    assert latest["tree_size"] == checkpoint.tree_size and latest["root_hash"] == checkpoint.root_hash.hex()
    proof = client.get(URL + "/audit/entries/5/proof/").json()
    assert set(proof) >= {"seq", "leaf_index", "tree_size", "leaf", "path", "root_hash"}
    assert (proof["seq"], proof["leaf_index"], proof["tree_size"]) == (5, 4, latest["tree_size"])
    assert merkle.verify_inclusion(H, 4, proof["tree_size"], H.leaf(proof["leaf"].encode()),
                                   [bytes.fromhex(p) for p in proof["path"]], bytes.fromhex(latest["root_hash"]))
    older = client.get(URL + f"/audit/entries/5/proof/?tree_size={first.tree_size}").json()
    assert older["root_hash"] == first.root_hash
    consistency = client.get(URL + f"/audit/consistency/?from={first.tree_size}&to={latest['tree_size']}").json()
    assert (consistency["from"], consistency["to"]) == (first.tree_size, latest["tree_size"])
    assert merkle.verify_consistency(H, first.tree_size, latest["tree_size"],
                                     [bytes.fromhex(p) for p in consistency["path"]],
                                     bytes.fromhex(first.root_hash), bytes.fromhex(latest["root_hash"]))
    listing = client.get(URL + "/audit/checkpoints/").json()
    assert listing["public_key"] == log_verifier().text and len(listing["checkpoints"]) == 2


@pytest.mark.parametrize("query", ["?from=5&to=2", "?from=1&to=999", "?from=x&to=2", "?to=2", "?from=-1&to=2"])
def test_bad_consistency_sizes_are_400_with_a_code(world, api, query):
    audit_record(action="audit.verify", org_path=world.school.path)
    response = api(world.auditor).get(URL + "/audit/consistency/" + query)
    assert response.status_code == 400 and response.json()["code"]


def test_a_proof_beyond_the_tree_is_400(world, api):
    entry = audit_record(action="audit.verify", org_path=world.school.path)
    checkpoint_sign()
    response = api(world.auditor).get(URL + f"/audit/entries/{entry.seq}/proof/?tree_size=50")
    assert response.status_code == 400 and response.json()["code"] == "no_proof"


def test_a_pack_asked_through_the_api_is_queued_then_downloadable(world, api):
    client = api(world.auditor)
    response = client.post(URL + "/audit/packs/", {"org": "GZ", "from": "2026-01-01", "to": "2026-01-31"},
                           format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    pack_id = response.json()["id"]
    assert client.get(URL + f"/audit/packs/{pack_id}/download/").status_code == 409
    bad = client.post(URL + "/audit/packs/", {"org": "GZ", "from": "2026-02-01", "to": "2026-01-31"}, format="json")
    assert bad.status_code == 400
