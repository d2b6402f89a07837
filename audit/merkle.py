"""The RFC 9162 Merkle tree over the audit log (pure: the standard library and
``cryptography`` only, so that the offline verifier can use it unchanged).

Leaves are the entries' canonical payloads in sequence order (leaf index =
seq - 1). Hashes follow RFC 9162 §2.1.1: the empty tree hashes to HASH(), a
leaf to HASH(0x00 || leaf) and an inner node to HASH(0x01 || left || right),
where the split puts the largest power of two smaller than the size on the
left. HASH is SHA-256 or SM3 (GB/T 32905), chosen at installation.

The log stores the hash of every *perfect* subtree (``level``, ``index``):
the subtree of 2**level leaves starting at leaf index * 2**level. Every
node an RFC 9162 proof names is either such a subtree or is computed from at
most log2(n) of them, so proofs read O(log n) stored nodes and never the log.
The *frontier* (the compact range [0, n)) is the list of perfect subtrees
whose sizes are the binary digits of n, from the largest; appending a leaf
turns it into the frontier of n + 1 and yields the perfect subtrees the leaf
completes (at most log2(n) + 1, one on average).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from cryptography.hazmat.primitives import hashes as _crypto_hashes

ALGORITHMS = ("sha256", "sm3")
HASH_SIZE = 32


def _sm3(data: bytes) -> bytes:
    digest = _crypto_hashes.Hash(_crypto_hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_function(algorithm: str) -> Callable[[bytes], bytes]:
    """bytes -> 32-byte digest for ``algorithm`` ("sha256" or "sm3")."""
    if algorithm == "sha256":
        return _sha256
    if algorithm == "sm3":
        return _sm3
    raise ValueError(f"unknown hash algorithm: {algorithm!r} (expected one of {', '.join(ALGORITHMS)})")


class Hasher:
    """RFC 9162 §2.1.1 hashing with one hash function."""

    def __init__(self, algorithm: str = "sha256"):
        self.algorithm = algorithm
        self.digest = hash_function(algorithm)

    def empty_root(self) -> bytes:
        return self.digest(b"")

    def leaf(self, data: bytes) -> bytes:
        return self.digest(b"\x00" + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        return self.digest(b"\x01" + left + right)


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# ---------------------------------------------------------------- reference tree (in memory)

def root_of(hasher: Hasher, leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, straight from the RFC's recursive definition."""
    n = len(leaf_hashes)
    if n == 0:
        return hasher.empty_root()
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return hasher.node(root_of(hasher, leaf_hashes[:k]), root_of(hasher, leaf_hashes[k:]))


# ---------------------------------------------------------------- stored perfect subtrees

NodeReader = Callable[[int, int], bytes]  # (level, index) -> hash of that perfect subtree


def range_hash(hasher: Hasher, start: int, end: int, node: NodeReader) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces: ``start`` is
    a multiple of the largest power of two not above end - start."""
    size = end - start
    if size & (size - 1) == 0:  # perfect and aligned
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = split_point(size)
    return hasher.node(node((k.bit_length() - 1), start // k), range_hash(hasher, start + k, end, node))


def inclusion_path(hasher: Hasher, index: int, size: int, node: NodeReader) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, then reverse: the RFC lists siblings from the leaf up.
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            path.append(range_hash(hasher, start + k, end, node))
            end = start + k
        else:
            path.append(range_hash(hasher, start, start + k, node))
            start = start + k
    path.reverse()
    return path


def consistency_path(hasher: Hasher, first: int, second: int, node: NodeReader) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    path: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                path.append(range_hash(hasher, start, end, node))
            break
        k = split_point(n)
        if m <= k:
            path.append(range_hash(hasher, start + k, end, node))
            end = start + k
        else:
            path.append(range_hash(hasher, start, start + k, node))
            start, m, complete = start + k, m - k, False
    path.reverse()
    return path


def needed_nodes(compute: Callable[[NodeReader], object]) -> set[tuple[int, int]]:
    """The (level, index) pairs ``compute`` reads, found by a dry run, so that a
    caller fetches them in one query before the real run."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return b"\x00" * HASH_SIZE

    compute(record)
    return wanted


# ---------------------------------------------------------------- the frontier

def frontier_append(hasher: Hasher, frontier: list[bytes], size: int,
                    leaf_hash: bytes) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Append leaf number ``size`` (0-based) to the compact range of a tree of
    ``size`` leaves. Returns the new frontier and the perfect subtrees it
    completes, as (level, index, hash), the leaf itself first."""
    frontier = list(frontier)
    created = [(0, size, leaf_hash)]
    current, level = leaf_hash, 0
    while (size >> level) & 1:
        current = hasher.node(frontier.pop(), current)
        level += 1
        created.append((level, size >> level, current))
    frontier.append(current)
    return frontier, created


def frontier_root(hasher: Hasher, frontier: Sequence[bytes]) -> bytes:
    """The root hash of the tree whose compact range is ``frontier``."""
    if not frontier:
        return hasher.empty_root()
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = hasher.node(left, root)
    return root


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the perfect subtrees that make up [0, size), largest first."""
    out = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def root_from_nodes(hasher: Hasher, size: int, node: NodeReader) -> bytes:
    return frontier_root(hasher, [node(level, index) for level, index in frontier_nodes(size)])


# ---------------------------------------------------------------- verification (RFC 9162 §2.1.3.2, §2.1.4.2)

def root_from_inclusion(hasher: Hasher, index: int, size: int, leaf_hash: bytes,
                        path: Iterable[bytes]) -> bytes | None:
    """The root an inclusion proof leads to, or None when its shape is wrong."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if len(p) != HASH_SIZE or sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hasher.node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hasher.node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(hasher: Hasher, index: int, size: int, leaf_hash: bytes, path: Sequence[bytes],
                     root: bytes) -> bool:
    return root_from_inclusion(hasher, index, size, leaf_hash, path) == root


def verify_consistency(hasher: Hasher, first: int, second: int, path: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> bool:
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path or any(len(p) != HASH_SIZE for p in path):
        return False
    path = list(path)
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hasher.node(c, fr)
            sr = hasher.node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hasher.node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
