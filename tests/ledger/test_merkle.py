"""The Merkle tree: RFC 6962's published vectors, and a literal transcription of its definitions.

The reference functions below follow RFC 6962 section 2.1 word for word (recursion over
lists, no shortcuts); the module under test must agree with them for every tree size and
every leaf or old size, and the RFC 9162 verifiers must accept exactly those proofs.
"""

from __future__ import annotations

import hashlib

import pytest

from app.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    consistency_proof_is_valid,
    inclusion_proof_is_valid,
)

# Published RFC 6962 test vectors (Certificate Transparency's reference leaves and roots).
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
VECTOR_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
VECTOR_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
VECTOR_CONSISTENCY_2_8 = [
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


# --- RFC 6962 section 2.1, transcribed -------------------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = _k(n)
    return _sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# ---------------------------------------------------------------------------------------


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(f"event {i}".encode()).digest() for i in range(count)]


def test_published_roots_for_every_size() -> None:
    tree = MerkleTree(VECTOR_LEAVES)
    growing = CompactRange()
    assert growing.root() == EMPTY_ROOT == bytes.fromhex(VECTOR_ROOTS[0])
    for size in range(len(VECTOR_LEAVES) + 1):
        assert tree.root(size).hex() == VECTOR_ROOTS[size]
        if size:
            growing.append(VECTOR_LEAVES[size - 1])
            assert growing.root().hex() == VECTOR_ROOTS[size]


def test_published_proofs() -> None:
    tree = MerkleTree(VECTOR_LEAVES)
    root = bytes.fromhex(VECTOR_ROOTS[8])
    for (index, size), expected in VECTOR_INCLUSION.items():
        produced = tree.inclusion_proof(index, size)
        assert [node.hex() for node in produced] == expected
        assert inclusion_proof_is_valid(index, size, VECTOR_LEAVES[index], produced, root)
    consistency = tree.consistency_proof(2, 8)
    assert [node.hex() for node in consistency] == VECTOR_CONSISTENCY_2_8
    assert consistency_proof_is_valid(2, 8, bytes.fromhex(VECTOR_ROOTS[2]), root, consistency)


@pytest.mark.parametrize("size", range(1, 34))
def test_agrees_with_the_rfc_definitions_for_every_shape(size: int) -> None:
    leaves = _leaves(size)
    tree = MerkleTree(leaves)
    growing = CompactRange()
    for leaf in leaves:
        growing.append(leaf)
    root = mth(leaves)
    assert tree.root() == root == growing.root()
    resumed = CompactRange(growing.size, growing.subtree_roots)
    assert resumed.root() == root
    for index in range(size):
        produced = tree.inclusion_proof(index)
        assert produced == path(index, leaves)
        assert inclusion_proof_is_valid(index, size, leaves[index], produced, root)
        # The proof is for that leaf at that place only.
        other = (index + 1) % size
        if other != index:
            assert not inclusion_proof_is_valid(other, size, leaves[index], produced, root)
            assert not inclusion_proof_is_valid(index, size, leaves[other], produced, root)
        if produced:
            forged = [bytes([produced[0][0] ^ 1]) + produced[0][1:], *produced[1:]]
            assert not inclusion_proof_is_valid(index, size, leaves[index], forged, root)
            assert not inclusion_proof_is_valid(index, size, leaves[index], produced[:-1], root)
    for old_size in range(1, size + 1):
        produced = tree.consistency_proof(old_size)
        assert produced == (proof(old_size, leaves) if old_size < size else [])
        old_root = mth(leaves[:old_size])
        assert consistency_proof_is_valid(old_size, size, old_root, root, produced)
        if old_size < size:
            # A rewritten prefix (one old leaf changed) no longer proves consistent.
            rewritten = [*leaves[: old_size - 1], b"rewritten", *leaves[old_size:]]
            assert not consistency_proof_is_valid(
                old_size, size, mth(rewritten[:old_size]), root, produced
            )
            assert not consistency_proof_is_valid(
                old_size, size, old_root, mth(rewritten), produced
            )
            assert not consistency_proof_is_valid(old_size, size, old_root, root, produced[1:])


def test_out_of_range_requests_are_refused() -> None:
    tree = MerkleTree(_leaves(5))
    with pytest.raises(ValueError, match="not in a tree of 5"):
        tree.inclusion_proof(5)
    with pytest.raises(ValueError, match=r"outside 0\.\.5"):
        tree.root(6)
    with pytest.raises(ValueError, match="subtree roots"):
        CompactRange(3, [b"x"])
    assert not inclusion_proof_is_valid(7, 5, b"x", [], tree.root())
