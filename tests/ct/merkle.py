"""Merkle tree of the local CT test log (RFC 6962 section 2.1) and the tlog-tiles layout.

Owns: leaf and node hashes, tree heads of any earlier size, audit paths, consistency proofs,
hash tile contents and tile path encoding. It must not know about certificates, HTTP or
signatures; the tests verify what it produces with their own, separate code.

Complete subtrees are kept per height as one bytearray of 32-byte hashes (height h holds
floor(size / 2^h) hashes), so a tree of a million leaves costs about 64 MB and any tree
head, proof or tile is computed from stored subtrees in O(log n) hashes.
"""
import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf_input):
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n):
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    def __init__(self):
        self.levels = [bytearray()]
        self.size = 0

    def append(self, lhash):
        self.levels[0] += lhash
        self.size += 1
        count, height = self.size, 0
        while count % 2 == 0:
            level = self.levels[height]
            parent = node_hash(bytes(level[-64:-32]), bytes(level[-32:]))
            if len(self.levels) == height + 1:
                self.levels.append(bytearray())
            self.levels[height + 1] += parent
            count //= 2
            height += 1

    def leaf(self, index):
        return bytes(self.levels[0][32 * index:32 * index + 32])

    def subtree(self, height, index):
        """Hash of the complete subtree of 2^height leaves starting at leaf index * 2^height."""
        return bytes(self.levels[height][32 * index:32 * index + 32])

    def mth(self, lo, hi):
        """MTH(D[lo:hi]); every range reached from a tree head or proof is aligned."""
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and lo % n == 0:
            return self.subtree(n.bit_length() - 1, lo // n)
        k = _split(n)
        return node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))

    def root(self, size=None):
        size = self.size if size is None else size
        assert 0 <= size <= self.size
        return self.mth(0, size)

    def audit_path(self, index, size):
        """PATH(index, D[0:size]) of RFC 6962 section 2.1.1."""
        assert 0 <= index < size <= self.size
        path, lo, hi = [], 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self.mth(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.mth(lo, lo + k))
                lo = lo + k
        return list(reversed(path))

    def consistency(self, first, second):
        """PROOF(first, D[0:second]) of RFC 6962 section 2.1.2."""
        assert 0 < first <= second <= self.size
        proof, lo, hi, m, whole = [], 0, second, first, True
        while True:
            n = hi - lo
            if m == n:
                if not whole:
                    proof.append(self.mth(lo, hi))
                break
            k = _split(n)
            if m <= k:
                proof.append(self.mth(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self.mth(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        return list(reversed(proof))

    def tile(self, level, index, width, size):
        """Hashes of the tile (level, index) of width 1..256 in the tree of `size` leaves,
        or None when that tile does not exist at that size."""
        height = 8 * level
        count = size >> height
        if not 1 <= width <= 256 or index * 256 + width > count:
            return None
        if height >= len(self.levels):
            return None
        start = index * 256
        return bytes(self.levels[height][32 * start:32 * (start + width)])


def tile_width(level, index, size):
    """Width of tile (level, index) in a tree of `size` leaves: 256 when full, else the
    partial width (0 when the tile does not exist)."""
    count = size >> (8 * level)
    return max(0, min(256, count - index * 256))


def tile_index_path(n):
    """tlog-tiles index encoding: 1234067 -> x001/x234/067."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x%03d" if i < len(groups) - 1 else "%03d") % g for i, g in enumerate(groups))


def parse_tile_index(parts):
    """Inverse of tile_index_path over path components; None when malformed."""
    n = 0
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if last != (not part.startswith("x")):
            return None
        digits = part if last else part[1:]
        if len(digits) != 3 or not digits.isdigit():
            return None
        n = n * 1000 + int(digits)
    return n if parts else None
