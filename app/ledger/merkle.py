"""A Merkle tree over the ledger's events, hashed as RFC 6962 (Certificate Transparency).

The hash chain proves order, but to check one event against it an auditor needs every
event before it. The Merkle tree over the same events gives short proofs instead:

* an **inclusion proof** shows that one event is leaf ``m`` of the tree whose root a
  checkpoint signed, with about log2(n) hashes;
* a **consistency proof** shows that the tree of an older checkpoint (size ``m``) is a
  prefix of a newer one (size ``n``): nothing the first covered was changed or removed.

Hashing follows RFC 6962 section 2.1: a leaf is ``SHA-256(0x00 || data)``, an inner
node ``SHA-256(0x01 || left || right)``, the split point is the largest power of two
below the size, and the empty tree's hash is ``SHA-256()``. A leaf's data is the event's
32-byte hash (which itself covers every field and the previous hash), so the tree can be
built from stored hashes alone. Proof checking follows RFC 9162 sections 2.1.3.2 and
2.1.4.2 and needs nothing but this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "MerkleTree",
    "consistency_proof_is_valid",
    "inclusion_proof_is_valid",
    "leaf_hash",
    "node_hash",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
]

#: RFC 6962's hash of the empty tree.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves ``0..size-1``: O(log n) hashes.

    Appending a leaf merges equal-sized subtrees, so the root of a growing tree is kept
    up to date in O(log n) per event without storing the tree (incremental verification
    and checkpoints use it).
    """

    def __init__(self, size: int = 0, subtree_roots: Sequence[bytes] = ()) -> None:
        """Resume a range from its size and its subtree roots, largest first."""
        if len(subtree_roots) != size.bit_count():
            raise ValueError(
                f"a compact range of {size} leaves has {size.bit_count()} subtree roots, "
                f"not {len(subtree_roots)}"
            )
        self.size = size
        self._roots = list(subtree_roots)

    @property
    def subtree_roots(self) -> tuple[bytes, ...]:
        """The perfect subtrees' roots, largest (leftmost) first."""
        return tuple(self._roots)

    def append(self, data: bytes) -> None:
        """Add the next leaf."""
        current = leaf_hash(data)
        size = self.size
        while size & 1:
            current = node_hash(self._roots.pop(), current)
            size >>= 1
        self._roots.append(current)
        self.size += 1

    def root(self) -> bytes:
        """The tree's root hash (RFC 6962 ``MTH``)."""
        if not self._roots:
            return EMPTY_ROOT
        current = self._roots[-1]
        for left in reversed(self._roots[:-1]):
            current = node_hash(left, current)
        return current


class MerkleTree:
    """A whole tree held level by level, to answer proofs for any size up to its own.

    Level 0 holds the leaf hashes; level ``k`` the roots of the aligned perfect subtrees
    of ``2**k`` leaves. Any other subtree hash is put together from those in O(log n),
    so a proof costs O(log² n) once the tree is built (O(n)).
    """

    def __init__(self, leaves: Iterable[bytes]) -> None:
        """Build the tree over the leaves' data, in order."""
        level = [leaf_hash(data) for data in leaves]
        self._levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def _subtree(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])``."""
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            return self._levels[size.bit_length() - 1][start // size]
        k = _split(size)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default: all)."""
        return self._subtree(0, self._checked_size(size))

    def _checked_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return size

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 ``PATH(index, D[0:size])``: the audit path of leaf ``index``."""
        size = self._checked_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start <= 1:
            return []
        k = _split(end - start)
        if index < k:
            return [*self._path(index, start, start + k), self._subtree(start + k, end)]
        return [*self._path(index - k, start + k, end), self._subtree(start, start + k)]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 ``PROOF(old_size, D[0:size])``: the first tree is a prefix of the second."""
        size = self._checked_size(size)
        if not 0 <= old_size <= size:
            raise ValueError(f"old size {old_size} is outside 0..{size}")
        if old_size in (0, size):
            return []
        return self._subproof(old_size, 0, size, complete=True)

    def _subproof(self, m: int, start: int, end: int, *, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._subtree(start, end)]
        k = _split(n)
        if m <= k:
            return [
                *self._subproof(m, start, start + k, complete=complete),
                self._subtree(start + k, end),
            ]
        return [
            *self._subproof(m - k, start + k, end, complete=False),
            self._subtree(start, start + k),
        ]


def _climb(fn: int, sn: int, proof: Iterable[bytes], kind: str) -> Iterator[tuple[bytes, bool]]:
    """Each proof node from the bottom up, with whether it is the left sibling there.

    RFC 9162's walk (2.1.3.2 and 2.1.4.2 share it): ``fn`` is the node's index and ``sn``
    the last index at the current level. A proof longer or shorter than the tree is deep
    raises ``ValueError`` naming ``kind``.
    """
    for node in proof:
        if sn == 0:
            raise ValueError(f"the {kind} proof is longer than the tree is deep")
        left = bool(fn & 1) or fn == sn
        yield node, left
        if left and not fn & 1:
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError(f"the {kind} proof is shorter than the tree is deep")


def root_from_inclusion_proof(
    index: int, size: int, leaf_data: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2); ``ValueError`` if malformed."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    result = leaf_hash(leaf_data)
    for sibling, left in _climb(index, size - 1, proof, "inclusion"):
        result = node_hash(sibling, result) if left else node_hash(result, sibling)
    return result


def inclusion_proof_is_valid(
    index: int, size: int, leaf_data: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_data`` as leaf ``index`` of the tree with ``root``."""
    try:
        return root_from_inclusion_proof(index, size, leaf_data, proof) == root
    except ValueError:
        return False


def root_from_consistency_proof(
    old_size: int, size: int, old_root: bytes, proof: Sequence[bytes]
) -> bytes:
    """The new root a consistency proof leads to from ``old_root`` (RFC 9162 2.1.4.2).

    Raises ``ValueError`` when the proof is malformed or does not reproduce ``old_root``.
    """
    if not 0 < old_size <= size:
        raise ValueError(f"a consistency proof needs 0 < old size <= size, not {old_size}, {size}")
    if old_size == size:
        if proof:
            raise ValueError("a proof between equal sizes must be empty")
        return old_root
    if not proof:
        raise ValueError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for node, left in _climb(fn, sn, path[1:], "consistency"):
        if left:
            first = node_hash(node, first)
            second = node_hash(node, second)
        else:
            second = node_hash(second, node)
    if first != old_root:
        raise ValueError("the consistency proof does not reproduce the old root")
    return second


def consistency_proof_is_valid(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of (``size``, ``root``)."""
    try:
        return root_from_consistency_proof(old_size, size, old_root, proof) == root
    except ValueError:
        return False
