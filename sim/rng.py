"""Named random streams derived from one seed.

A stream is identified by its name (and optional integer keys such as a case number),
never by the order in which streams are asked for. Two runs that differ only in a
parameter therefore share the same noise wherever that parameter does not reach
(common random numbers), and adding a new stream never shifts an old one.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)

    def get(self, name: str, *keys: int) -> np.random.Generator:
        """A generator for stream ``name`` (and keys), the same for the same seed."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(_key(name), *map(int, keys)))
        return np.random.default_rng(ss)
