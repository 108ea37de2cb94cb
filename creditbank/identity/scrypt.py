"""scrypt cost parameters, one class for every secret this package stretches.

Learner password hashes and the passphrase that wraps a key-encryption key both record the
costs they were made with, so the costs can be raised later and old values still open.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# scrypt needs 128 * n * r bytes of memory: at most 256 MiB (the default takes 32).
MAX_MEMORY = 2**28


@dataclass(frozen=True)
class ScryptParameters:
    """scrypt costs: CPU/memory cost ``n`` (a power of two), block size ``r``, parallelism ``p``."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def acceptable(self) -> bool:
        """Whether the costs are sane; the bounds stop a damaged value from exhausting memory."""
        power_of_two = self.n > 1 and self.n & (self.n - 1) == 0
        small_enough = self.r >= 1 and 128 * self.n * self.r <= MAX_MEMORY
        return power_of_two and small_enough and 1 <= self.p <= 16

    def derive(self, secret: bytes, salt: bytes, length: int) -> bytes:
        """Stretch ``secret`` with ``salt`` into ``length`` bytes at these costs."""
        return Scrypt(salt=salt, length=length, n=self.n, r=self.r, p=self.p).derive(secret)
