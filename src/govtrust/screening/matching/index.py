"""Compact look-up structures of the matcher: flat numpy arrays only, so that they are saved with `numpy.save`
(one uncompressed .npy per array) and mapped back with `mmap_mode="r"` — shared by every worker through the
page cache, never rebuilt per process.

- `Strings`: a column of texts as one UTF-8 buffer (each text followed by a NUL) and offsets (N + 1).
- `KeyTable`: exact keys (identifiers, person-name keys) → entry ordinals. Keys are 64-bit BLAKE2b digests
  in one sorted array with a parallel array of ordinals; a hit is confirmed by the caller against the
  entry's own field, so a digest collision can never produce a wrong match.
- `GramIndex`: the character-bigram inverted index of organisation names, CSR layout: sorted gram keys,
  offsets, and postings (entry ordinals, int32). A bigram key is (ord(a) << 21) | ord(b) (code points fit
  in 21 bits), so no vocabulary dictionary is needed.
"""

from __future__ import annotations

import hashlib
from array import array

import numpy as np

_EMPTY_U64 = np.zeros(0, dtype=np.uint64)
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


def digest64(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def _offsets_dtype(size: int) -> type[np.unsignedinteger] | type[np.signedinteger]:
    return np.uint32 if size < 2**32 - 1 else np.int64


class Strings:
    """A read-only column of texts: `buf` (uint8) holds each text's UTF-8 bytes and a NUL; text i is
    buf[off[i] : off[i + 1] - 1]."""

    def __init__(self, buf: np.ndarray, off: np.ndarray) -> None:
        self.buf, self.off = buf, off
        self._bytes = buf.data  # a memoryview: slicing a memoryview costs a fraction of slicing an ndarray

    def __len__(self) -> int:
        return len(self.off) - 1

    def __getitem__(self, i: int) -> str:
        start, end = self.off.item(i), self.off.item(i + 1) - 1
        return str(self._bytes[start:end], "utf-8") if end > start else ""

    def take(self, ordinals: list[int]) -> list[str]:
        """Several texts at once: the offsets are gathered in one numpy step instead of two `.item` calls each."""
        if not ordinals:
            return []
        at = np.asarray(ordinals, dtype=np.int64)
        data = self._bytes
        return [
            str(data[start : end - 1], "utf-8") if end - 1 > start else ""
            for start, end in zip(self.off[at].tolist(), self.off[at + 1].tolist(), strict=True)
        ]

    def of_width(self, ordinals: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The texts at `ordinals` that are `width` bytes long, as the rows of a (k, width) uint8 matrix, and
        their ordinals — for comparing fixed-width codes (masked ID numbers) of many entries in one step."""
        starts = self.off[ordinals].astype(np.int64)
        keep = (self.off[ordinals + 1].astype(np.int64) - 1 - starts) == width
        return self.buf[starts[keep][:, None] + np.arange(width)], ordinals[keep]


class StringsBuilder:
    """Appends texts chunk by chunk: one join, one encode and one vectorised NUL scan per chunk."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.ends: list[np.ndarray] = []
        self.size = 0

    def extend(self, texts: list[str]) -> None:
        if not texts:
            return
        joined = "\x00".join(texts) + "\x00"
        if joined.count("\x00") != len(texts):  # a NUL inside a text would split it: drop it (never printable)
            joined = "\x00".join(t.replace("\x00", "") for t in texts) + "\x00"
        data = joined.encode("utf-8", "replace")
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0).astype(np.int64) + (self.size + 1)
        self.parts.append(data)
        self.ends.append(ends)
        self.size += len(data)

    def finish(self) -> Strings:
        buf = np.frombuffer(b"".join(self.parts), dtype=np.uint8) if self.parts else np.zeros(0, np.uint8)
        self.parts = []
        dtype = _offsets_dtype(self.size)
        off = np.zeros(1 + sum(len(e) for e in self.ends), dtype=dtype)
        at = 1
        for ends in self.ends:
            off[at : at + len(ends)] = ends
            at += len(ends)
        self.ends = []
        return Strings(buf, off)


class KeyTable:
    def __init__(self, keys: np.ndarray, ordinals: np.ndarray) -> None:
        self.keys, self.ordinals = keys, ordinals  # sorted by key

    @classmethod
    def build(cls, keys: array, ordinals: array) -> KeyTable:  # type: ignore[type-arg]
        k = np.frombuffer(keys, dtype=np.uint64) if len(keys) else _EMPTY_U64
        o = np.frombuffer(ordinals, dtype=np.int32) if len(ordinals) else _EMPTY_I32
        order = np.argsort(k, kind="stable")
        return cls(k[order], o[order])

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, key: str) -> list[int]:
        return [int(x) for x in self.get_array(key)]

    def get_array(self, key: str) -> np.ndarray:
        if not key or not len(self.keys):
            return _EMPTY_I32
        h = np.uint64(digest64(key))
        lo = int(np.searchsorted(self.keys, h, side="left"))
        hi = int(np.searchsorted(self.keys, h, side="right"))
        return self.ordinals[lo:hi]


def grams(text: str) -> set[int]:
    """The bigram keys of a text (a one-character text: its single character)."""
    if len(text) == 1:
        return {ord(text)}
    return {(ord(a) << 21) | ord(b) for a, b in zip(text, text[1:], strict=False)}


class GramIndex:
    def __init__(self, gram_keys: np.ndarray, offsets: np.ndarray, postings: np.ndarray) -> None:
        self.gram_keys, self.offsets, self.postings = gram_keys, offsets, postings

    @classmethod
    def build(cls, keys: array, ordinals: array) -> GramIndex:  # type: ignore[type-arg]
        k = np.frombuffer(keys, dtype=np.int64) if len(keys) else _EMPTY_I64
        o = np.frombuffer(ordinals, dtype=np.int32) if len(ordinals) else _EMPTY_I32
        order = np.argsort(k, kind="stable")  # stable: postings stay in ordinal order
        k, postings = k[order], o[order]
        del order
        gram_keys, starts = np.unique(k, return_index=True)
        return cls(gram_keys, np.append(starts, len(k)).astype(np.int64), postings)

    @property
    def nbytes(self) -> int:
        return int(self.gram_keys.nbytes + self.offsets.nbytes + self.postings.nbytes)

    def candidates(self, text: str, *, budget: int, min_fraction: float, limit: int) -> list[tuple[int, int]]:
        """Entries sharing the most bigrams with `text`: [(ordinal, shared)], best first, at most `limit`.

        Grams are taken rarest first while their postings fit in `budget` (the rarest always), so a query
        full of common industry words (科技, 工程) costs a bounded amount; an entry must share at least
        `min_fraction` of the grams used.
        """
        wanted = np.fromiter(grams(text), dtype=np.int64)
        if not len(wanted) or not len(self.gram_keys):
            return []
        at = np.searchsorted(self.gram_keys, wanted)
        found = at < len(self.gram_keys)
        found[found] = self.gram_keys[at[found]] == wanted[found]
        at = at[found]
        if not len(at):
            return []
        sizes = self.offsets[at + 1] - self.offsets[at]
        order = np.argsort(sizes, kind="stable")
        used: list[int] = []
        total = 0
        for i in order:
            if used and total + int(sizes[i]) > budget:
                break
            used.append(int(at[i]))
            total += int(sizes[i])
        # An entry sharing `min_fraction` of all the query's grams shares at least this many of those used.
        need = max(1, int(np.ceil(min_fraction * len(wanted))) - (len(at) - len(used)))
        parts = [self.postings[self.offsets[g] : self.offsets[g + 1]] for g in used]
        hits, counts = np.unique(np.concatenate(parts), return_counts=True)
        keep = counts >= need
        hits, counts = hits[keep], counts[keep]
        if len(hits) > limit:
            top = np.argpartition(-counts, limit - 1)[:limit]
            hits, counts = hits[top], counts[top]
        ranked = np.lexsort((hits, -counts))
        return [(int(hits[i]), int(counts[i])) for i in ranked]
