"""Cheap scrypt costs for learner passwords in tests; production costs stay the default.

At production costs every password hashed or checked takes about 80 ms, which made building
the test banks dominate the suite. A stored hash carries its own costs, so a password hashed
cheaply here still verifies, and verification code is exercised unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from creditbank.identity import passwords

# The lowest costs ScryptParameters accepts.
CHEAP_SCRYPT = passwords.ScryptParameters(n=2**4, r=1, p=1)


@contextmanager
def cheap_scrypt() -> Iterator[None]:
    """Hash learner passwords with :data:`CHEAP_SCRYPT` while inside.

    ``hash_password`` binds its default costs when it is defined, so its keyword default is
    patched, and so is the module default that the no-account check burns time with.
    """
    defaults = passwords.hash_password.__kwdefaults__
    assert defaults is not None and "params" in defaults, "hash_password lost its params default"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(defaults, "params", CHEAP_SCRYPT)
        patch.setattr(passwords, "DEFAULT", CHEAP_SCRYPT)
        yield
