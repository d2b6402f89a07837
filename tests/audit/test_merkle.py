"""The RFC 9162 tree (audit.merkle) against the published vectors of an
independent implementation (transparency-dev/merkle: testonly/constants.go
and proof/verify_test.go — the numbers only), and property tests for every
tree size up to a few hundred."""
import random

import pytest

from audit import merkle

H = merkle.Hasher("sha256")

LEAVES = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(x) for x in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # empty tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
LEVEL0 = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
          "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
          "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
          "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
          "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
          "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"]
LEVEL1 = ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"]
LEVEL2 = ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]

# (leaf index, tree size, path) — the vectors number leaves from 1; here from 0.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


class Tree:
    """An in-memory log built the way the database's is: append to the frontier, keep the created nodes."""

    def __init__(self, hasher, leaves):
        self.hasher, self.frontier, self.nodes = hasher, [], {}
        for i, leaf in enumerate(leaves):
            self.frontier, created = merkle.frontier_append(hasher, self.frontier, i, hasher.leaf(leaf))
            self.nodes.update({(level, index): h for level, index, h in created})

    def node(self, level, index):
        return self.nodes[(level, index)]


def unhex(path):
    return [bytes.fromhex(p) for p in path]


def test_stored_nodes_and_roots_equal_the_published_vectors():
    tree = Tree(H, [])
    for size, leaf in enumerate(LEAVES):
        assert merkle.frontier_root(H, tree.frontier) == ROOTS[size]
        assert merkle.root_of(H, [H.leaf(x) for x in LEAVES[:size]]) == ROOTS[size]
        tree.frontier, created = merkle.frontier_append(H, tree.frontier, size, H.leaf(leaf))
        tree.nodes.update({(level, index): h for level, index, h in created})
    assert merkle.frontier_root(H, tree.frontier) == ROOTS[8]
    assert [tree.node(0, i).hex() for i in range(8)] == LEVEL0
    assert [tree.node(1, i).hex() for i in range(4)] == LEVEL1
    assert [tree.node(2, i).hex() for i in range(2)] == LEVEL2
    assert tree.node(3, 0) == ROOTS[8]
    assert set(tree.nodes) == {(0, i) for i in range(8)} | {(1, i) for i in range(4)} | {(2, 0), (2, 1), (3, 0)}
    for size in range(9):
        assert merkle.root_from_nodes(H, size, Tree(H, LEAVES[:size]).node) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_equal_the_published_vectors_and_verify(index, size, path):
    tree = Tree(H, LEAVES[:size])
    assert [p.hex() for p in merkle.inclusion_path(H, index, size, tree.node)] == path
    leaf = H.leaf(LEAVES[index])
    assert merkle.verify_inclusion(H, index, size, leaf, unhex(path), ROOTS[size])
    # The corruptions the vectors' own tests try.
    bad = [
        (index - 1, size, leaf, unhex(path), ROOTS[size]),
        (index + 1, size, leaf, unhex(path), ROOTS[size]),
        (index ^ 2, size, leaf, unhex(path), ROOTS[size]),
        (index, size * 2, leaf, unhex(path), ROOTS[size]),
        (index, size // 2, leaf, unhex(path), ROOTS[size]),
        (index, size, H.leaf(b"WrongLeaf"), unhex(path), ROOTS[size]),
        (index, size, leaf, unhex(path), ROOTS[0]),
        (index, size, leaf, unhex(path) + [b""], ROOTS[size]),
        (index, size, leaf, unhex(path) + [ROOTS[size]], ROOTS[size]),
        (index, size, leaf, [ROOTS[size]] + unhex(path), ROOTS[size]),
    ]
    for i in range(len(path)):
        flipped = unhex(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        bad.append((index, size, leaf, flipped, ROOTS[size]))
    if path:
        bad.append((index, size, leaf, unhex(path)[:-1], ROOTS[size]))
    for probe in bad:
        assert not merkle.verify_inclusion(H, *probe), probe


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_equal_the_published_vectors_and_verify(first, second, path):
    tree = Tree(H, LEAVES[:second])
    assert [p.hex() for p in merkle.consistency_path(H, first, second, tree.node)] == path
    assert merkle.verify_consistency(H, first, second, unhex(path), ROOTS[first], ROOTS[second])
    if not path:
        return
    bad = [
        (first - 1, second, unhex(path), ROOTS[first], ROOTS[second]),
        (first + 1, second, unhex(path), ROOTS[first], ROOTS[second]),
        (first ^ 2, second, unhex(path), ROOTS[first], ROOTS[second]),
        (first, second * 2, unhex(path), ROOTS[first], ROOTS[second]),
        (first, second // 2, unhex(path), ROOTS[first], ROOTS[second]),
        (first, second, unhex(path), b"WrongRoot", ROOTS[second]),
        (first, second, unhex(path), ROOTS[first], b"WrongRoot"),
        (first, second, unhex(path), ROOTS[second], ROOTS[first]),
        (first, second, [], ROOTS[first], ROOTS[second]),
        (first, second, unhex(path) + [b""], ROOTS[first], ROOTS[second]),
        (first, second, unhex(path) + [ROOTS[first]], ROOTS[first], ROOTS[second]),
        (first, second, [ROOTS[second]] + unhex(path), ROOTS[first], ROOTS[second]),
        (first, second, unhex(path)[:1] + unhex(path), ROOTS[first], ROOTS[second]),
        (first, second, unhex(path)[:-1], ROOTS[first], ROOTS[second]),
    ]
    for i in range(len(path)):
        flipped = unhex(path)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        bad.append((first, second, flipped, ROOTS[first], ROOTS[second]))
    for probe in bad:
        assert not merkle.verify_consistency(H, *probe), probe


def test_degenerate_consistency_cases_follow_the_vectors():
    r1, r2 = b"don't care 1", b"don't care 2"
    empty = ROOTS[0]
    assert merkle.verify_consistency(H, 0, 0, [], r1, r1)
    assert merkle.verify_consistency(H, 0, 1, [], r1, r2)
    assert merkle.verify_consistency(H, 1, 1, [], r2, r2)
    assert not merkle.verify_consistency(H, 0, 0, [], r1, r2)
    assert not merkle.verify_consistency(H, 1, 0, [], r1, r2)
    assert not merkle.verify_consistency(H, 2, 1, [], r1, r2)
    assert not merkle.verify_consistency(H, 1, 2, [], r1, r2)
    assert not merkle.verify_consistency(H, 0, 1, [empty], empty, empty)
    assert not merkle.verify_consistency(H, 1, 1, [empty], empty, empty)


@pytest.mark.parametrize("algorithm", merkle.ALGORITHMS)
def test_every_proof_of_every_tree_up_to_300_leaves_matches_the_reference_and_verifies(algorithm):
    hasher = merkle.Hasher(algorithm)
    rng = random.Random(9162)
    leaves = [rng.randbytes(rng.randrange(0, 40)) for _ in range(300)]
    tree = Tree(hasher, leaves)
    leaf_hashes = [hasher.leaf(x) for x in leaves]
    roots = [merkle.root_of(hasher, leaf_hashes[:n]) for n in range(301)]
    for n in range(1, 301):
        assert merkle.root_from_nodes(hasher, n, tree.node) == roots[n]
        indices = range(n) if n <= 64 else rng.sample(range(n), 12) + [0, n - 1]
        for m in indices:
            path = merkle.inclusion_path(hasher, m, n, tree.node)
            assert len(path) <= (n - 1).bit_length()
            assert merkle.verify_inclusion(hasher, m, n, leaf_hashes[m], path, roots[n])
            assert not merkle.verify_inclusion(hasher, m, n, hasher.leaf(b"x" + leaves[m]), path, roots[n])
        firsts = range(0, n + 1) if n <= 64 else rng.sample(range(1, n), 12) + [0, 1, n]
        for m in firsts:
            path = merkle.consistency_path(hasher, m, n, tree.node)
            assert merkle.verify_consistency(hasher, m, n, path, roots[m], roots[n])
            if 0 < m < n:
                assert not merkle.verify_consistency(hasher, m, n, path, roots[m - 1] if m > 1 else ROOTS[3],
                                                     roots[n])


def test_the_frontier_holds_one_subtree_per_binary_digit_and_appends_touch_log_n_nodes():
    tree = Tree(H, [])
    for n in range(1, 1100):
        tree.frontier, created = merkle.frontier_append(H, tree.frontier, n - 1, H.leaf(n.to_bytes(4, "big")))
        assert len(tree.frontier) == bin(n).count("1")
        assert 1 <= len(created) <= n.bit_length()
        assert len(merkle.frontier_nodes(n)) == len(tree.frontier)


def test_sm3_is_gb_t_32905():
    # GB/T 32905-2016, appendix A, example 1: SM3("abc").
    assert merkle.hash_function("sm3")(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    with pytest.raises(ValueError):
        merkle.hash_function("md5")
