"""Sealing personal data: KEK files, AES-GCM tokens bound to their place, lookup hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import CreditbankError, SigningKeyError
from creditbank.identity.sealing import FieldSealer, KeyEncryptionKeys, SealError

CONTEXT = "learner:0b7d4c1e-5a4f-4b55-9d6c-2f1e0f6a9c11:name"
MATERIAL = b"resident_id|CHN|11010519491231002X"
PASSPHRASE = b"correct horse battery"
TOKEN_SHAPE = re.compile(r"v1\.([1-9][0-9]*)\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)")
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "keys" / "kek"


@pytest.fixture
def keks(key_dir: Path) -> KeyEncryptionKeys:
    return KeyEncryptionKeys.create(key_dir, None)


@pytest.fixture
def sealer(keks: KeyEncryptionKeys) -> FieldSealer:
    return FieldSealer(keks)


@pytest.fixture(scope="module")
def shared_sealer(tmp_path_factory: pytest.TempPathFactory) -> FieldSealer:
    """One sealer for the property tests (hypothesis runs many examples per test call)."""
    return FieldSealer(KeyEncryptionKeys.create(tmp_path_factory.mktemp("kek") / "kek", None))


# --- key files ---------------------------------------------------------------------------------


def test_create_writes_private_files(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    assert mode_of(key_dir) == 0o700
    assert mode_of(key_dir.parent) == 0o700  # missing parents are made private too
    assert sorted(p.name for p in key_dir.iterdir()) == [".lock", "kek-0001.json"]
    assert mode_of(key_dir / "kek-0001.json") == 0o600
    assert mode_of(key_dir / ".lock") == 0o600
    assert keks.versions() == [1]
    assert keks.current_version == 1
    assert len(keks.key(1)) == 32


def test_a_plain_key_file_is_self_describing(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    document = json.loads((key_dir / "kek-0001.json").read_text())
    assert document["format"] == "creditbank-kek"
    assert document["kek_version"] == 1
    assert document["protection"] == "none"
    assert unb64(document["key"]) == keks.key(1)
    assert document["created_at"].endswith("Z")


def test_create_ignores_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o000)
    try:
        KeyEncryptionKeys.create(tmp_path / "kek", None)
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "kek") == 0o700
    assert mode_of(tmp_path / "kek" / "kek-0001.json") == 0o600


def test_create_tightens_an_existing_folder(key_dir: Path) -> None:
    key_dir.mkdir(parents=True)
    key_dir.chmod(0o755)
    KeyEncryptionKeys.create(key_dir, None)
    assert mode_of(key_dir) == 0o700


def test_create_refuses_a_folder_with_keys(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SigningKeyError, match="already holds"):
        KeyEncryptionKeys.create(key_dir, None)


@pytest.mark.parametrize("opener", [KeyEncryptionKeys.create, KeyEncryptionKeys.open])
def test_an_empty_passphrase_is_refused(
    key_dir: Path, opener: Callable[[Path, bytes | None], KeyEncryptionKeys]
) -> None:
    with pytest.raises(SigningKeyError, match="passphrase is empty"):
        opener(key_dir, b"")


def test_open_reads_the_same_keys(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    reopened = KeyEncryptionKeys.open(key_dir, None)
    assert reopened.versions() == [1]
    assert reopened.key(1) == keks.key(1)


def test_open_of_a_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="creditbank init"):
        KeyEncryptionKeys.open(tmp_path / "nowhere", None)
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    with pytest.raises(SigningKeyError, match="no key-encryption keys"):
        KeyEncryptionKeys.open(empty, None)


def test_unknown_version_of_the_kek(keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SealError, match="version 2"):
        keks.key(2)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o601])
def test_a_key_file_others_can_read_is_refused(
    key_dir: Path, keks: KeyEncryptionKeys, mode: int
) -> None:
    path = key_dir / "kek-0001.json"
    path.chmod(mode)
    with pytest.raises(SigningKeyError) as exc:
        KeyEncryptionKeys.open(key_dir, None)
    assert f"mode {mode:04o}" in exc.value.detail
    assert f"chmod 600 {path}" in exc.value.detail


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o755, 0o710])
def test_a_key_folder_others_can_enter_is_refused(
    key_dir: Path, keks: KeyEncryptionKeys, mode: int
) -> None:
    key_dir.chmod(mode)
    try:
        with pytest.raises(SigningKeyError, match="chmod 700"):
            KeyEncryptionKeys.open(key_dir, None)
    finally:
        key_dir.chmod(0o700)


def test_a_symlinked_key_file_is_refused(
    tmp_path: Path, key_dir: Path, keks: KeyEncryptionKeys
) -> None:
    real = key_dir / "kek-0001.json"
    moved = tmp_path / "elsewhere.json"
    real.rename(moved)
    real.symlink_to(moved)
    with pytest.raises(SigningKeyError, match="is a symbolic link"):
        KeyEncryptionKeys.open(key_dir, None)


def test_other_files_in_the_folder_are_ignored(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    (key_dir / "README").write_text("keys live here\n")
    (key_dir / "kek-0001.json.bak").write_bytes(b"junk")
    (key_dir / "kek-1.json").write_bytes(b"junk")  # too few digits to be a key file name
    assert KeyEncryptionKeys.open(key_dir, None).versions() == [1]


@pytest.mark.parametrize(
    ("name", "says"), [("kek-00002.json", "misnamed"), ("kek-0000.json", "start at 1")]
)
def test_misnamed_key_files_are_refused(
    key_dir: Path, keks: KeyEncryptionKeys, name: str, says: str
) -> None:
    (key_dir / name).write_bytes((key_dir / "kek-0001.json").read_bytes())
    (key_dir / name).chmod(0o600)
    with pytest.raises(SigningKeyError, match=says):
        KeyEncryptionKeys.open(key_dir, None)


def test_a_missing_version_is_refused(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    keks.rotate()
    keks.rotate()
    (key_dir / "kek-0002.json").unlink()
    with pytest.raises(SigningKeyError, match=r"kek-0002\.json"):
        KeyEncryptionKeys.open(key_dir, None)
    # Version 1 anchors the lookup hashes: it can never go either.
    (key_dir / "kek-0001.json").unlink()
    with pytest.raises(SigningKeyError, match=r"kek-0001\.json"):
        KeyEncryptionKeys.open(key_dir, None)


def test_a_renamed_plain_key_file_is_refused(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    keks.rotate()
    first, second = key_dir / "kek-0001.json", key_dir / "kek-0002.json"
    swap = key_dir / "swap"
    first.rename(swap)
    second.rename(first)
    swap.rename(second)
    with pytest.raises(SigningKeyError, match="holds key-encryption key version"):
        KeyEncryptionKeys.open(key_dir, None)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b"[]",
        b'{"format": "something-else"}',
        b'{"format": "creditbank-kek", "format_version": 2, "kek_version": 1}',
        b'{"format": "creditbank-kek", "format_version": 1, "kek_version": 1,'
        b' "protection": "none", "key": "AAAA"}',
        b'{"format": "creditbank-kek", "format_version": 1, "kek_version": 1,'
        b' "protection": "rot13", "key": "AAAA"}',
        b'{"format": "creditbank-kek", "format_version": 1, "kek_version": true,'
        b' "protection": "none"}',
    ],
)
def test_foreign_or_damaged_plain_file(
    key_dir: Path, keks: KeyEncryptionKeys, content: bytes
) -> None:
    (key_dir / "kek-0001.json").write_bytes(content)
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, None)


def test_repr_shows_no_key_material(keks: KeyEncryptionKeys) -> None:
    text = repr(keks)
    assert "[1]" in text
    assert keks.key(1).hex() not in text
    assert b64(keks.key(1)) not in text


# --- passphrase-wrapped keys -------------------------------------------------------------------


def test_passphrase_wrapped_kek(key_dir: Path) -> None:
    created = KeyEncryptionKeys.create(key_dir, PASSPHRASE)
    raw = (key_dir / "kek-0001.json").read_bytes()
    assert created.key(1) not in raw
    assert b64(created.key(1)).encode() not in raw
    document = json.loads(raw)
    assert document["protection"] == "passphrase"
    assert document["kdf"] == {"name": "scrypt", "n": 2**15, "r": 8, "p": 1}
    token = FieldSealer(created).seal("张三", context=CONTEXT)

    opened = KeyEncryptionKeys.open(key_dir, PASSPHRASE)
    assert opened.key(1) == created.key(1)
    assert FieldSealer(opened).open(token, context=CONTEXT) == "张三"

    with pytest.raises(SigningKeyError, match="wrong passphrase"):
        KeyEncryptionKeys.open(key_dir, b"wrong horse")
    with pytest.raises(SigningKeyError, match="a passphrase is required"):
        KeyEncryptionKeys.open(key_dir, None)


def test_rotation_keeps_the_passphrase(key_dir: Path) -> None:
    created = KeyEncryptionKeys.create(key_dir, PASSPHRASE)
    created.rotate()
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, None)
    assert KeyEncryptionKeys.open(key_dir, PASSPHRASE).versions() == [1, 2]


def test_plain_kek_refuses_a_passphrase(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SigningKeyError, match="not passphrase-protected"):
        KeyEncryptionKeys.open(key_dir, PASSPHRASE)


def test_a_wrapped_key_is_bound_to_its_version(key_dir: Path) -> None:
    KeyEncryptionKeys.create(key_dir, PASSPHRASE).rotate()
    first, second = key_dir / "kek-0001.json", key_dir / "kek-0002.json"
    # Pass version 1's wrapped key off as version 2, fixing up the visible version number.
    document = json.loads(first.read_text())
    document["kek_version"] = 2
    second.write_text(json.dumps(document))
    with pytest.raises(SigningKeyError, match=r"cannot unwrap .*kek-0002\.json"):
        KeyEncryptionKeys.open(key_dir, PASSPHRASE)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d | {"wrapped_key": b64(bytes(48))},
        lambda d: d | {"nonce": b64(bytes(12))},
        lambda d: d | {"salt": b64(bytes(16))},
        lambda d: d | {"wrapped_key": d["wrapped_key"][:-4]},
        lambda d: d | {"kdf": {"name": "scrypt", "n": 2**14, "r": 8, "p": 1}},
        lambda d: d | {"kdf": {"name": "scrypt", "n": 2**30, "r": 8, "p": 1}},
        lambda d: d | {"kdf": {"name": "scrypt", "n": 1000, "r": 8, "p": 1}},
        lambda d: d | {"kdf": {"name": "argon2id"}},
        lambda d: {k: v for k, v in d.items() if k != "salt"},
    ],
)
def test_damaged_wrapped_kek(key_dir: Path, damage: Callable[[dict[str, object]], object]) -> None:
    KeyEncryptionKeys.create(key_dir, PASSPHRASE)
    path = key_dir / "kek-0001.json"
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, PASSPHRASE)


# --- sealing and opening -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext", ["张三", "", "O'Brien", "身份证 11010519491231002X", "🎓" * 100, "a" * 5000]
)
def test_seal_open_round_trip(sealer: FieldSealer, plaintext: str) -> None:
    token = sealer.seal(plaintext, context=CONTEXT)
    match = TOKEN_SHAPE.fullmatch(token)
    assert match is not None
    assert match.group(1) == "1"
    assert len(unb64(match.group(2))) == 12  # a 96-bit nonce
    assert len(unb64(match.group(3))) == len(plaintext.encode()) + 16  # and a 128-bit tag
    assert plaintext == "" or plaintext not in token
    assert sealer.open(token, context=CONTEXT) == plaintext


@settings(max_examples=100)
@given(st.text(), st.text(min_size=1))
def test_seal_open_round_trip_property(
    shared_sealer: FieldSealer, plaintext: str, context: str
) -> None:
    token = shared_sealer.seal(plaintext, context=context)
    assert shared_sealer.open(token, context=context) == plaintext


def test_a_lone_surrogate_round_trips(sealer: FieldSealer) -> None:
    assert sealer.open(sealer.seal("a\ud800b", context=CONTEXT), context=CONTEXT) == "a\ud800b"


def test_sealing_needs_a_context(sealer: FieldSealer) -> None:
    with pytest.raises(ValueError, match="context"):
        sealer.seal("张三", context="")


def test_sealing_twice_gives_different_tokens(sealer: FieldSealer) -> None:
    tokens = {sealer.seal("张三", context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20
    assert len({token.split(".")[2] for token in tokens}) == 20  # fresh nonces


def test_reopened_instance_opens_old_tokens(key_dir: Path, sealer: FieldSealer) -> None:
    token = sealer.seal("李四", context=CONTEXT)
    again = FieldSealer(KeyEncryptionKeys.open(key_dir, None))
    assert again.open(token, context=CONTEXT) == "李四"


@pytest.mark.parametrize(
    "other",
    [
        CONTEXT.replace(":name", ":document"),  # another column
        CONTEXT.replace("0b7d", "0b7e"),  # another row
        "",
        CONTEXT + " ",
        CONTEXT.upper(),
    ],
)
def test_wrong_context_does_not_open(sealer: FieldSealer, other: str) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError, match="does not open"):
        sealer.open(token, context=other)


def test_seal_error_names_only_the_kind_of_place(sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError) as exc:
        sealer.open(token, context="learner:someone-else:name")
    assert exc.value.detail.startswith("a sealed value does not open for learner:")
    assert "someone-else" not in exc.value.detail
    assert "张三" not in exc.value.detail
    assert isinstance(exc.value, CreditbankError)
    assert exc.value.status == 500


@settings(max_examples=200)
@given(st.data())
def test_a_flipped_bit_does_not_open(shared_sealer: FieldSealer, data: st.DataObject) -> None:
    plaintext = data.draw(st.text(max_size=40), label="plaintext")
    token = shared_sealer.seal(plaintext, context=CONTEXT)
    prefix, version, nonce, sealed = token.split(".")
    raw = bytearray(unb64(nonce) + unb64(sealed))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1), label="bit")
    raw[bit // 8] ^= 1 << (bit % 8)
    flipped = f"{prefix}.{version}.{b64(bytes(raw[:12]))}.{b64(bytes(raw[12:]))}"
    with pytest.raises(SealError):
        shared_sealer.open(flipped, context=CONTEXT)


@settings(max_examples=200)
@given(st.data())
def test_a_changed_character_does_not_open(shared_sealer: FieldSealer, data: st.DataObject) -> None:
    token = shared_sealer.seal(data.draw(st.text(max_size=40)), context=CONTEXT)
    start = len("v1.1.")
    position = data.draw(st.integers(start, len(token) - 1), label="position")
    if token[position] == ".":
        return
    replacement = data.draw(st.sampled_from(B64_ALPHABET.replace(token[position], "")))
    changed = token[:position] + replacement + token[position + 1 :]
    # Some changes touch only padding bits of the last character; the strict decoder
    # refuses those spellings, so every change fails.
    with pytest.raises(SealError):
        shared_sealer.open(changed, context=CONTEXT)


MANGLES: list[Callable[[str], str]] = [
    lambda t: t[:-1],
    lambda t: t[:-4],
    lambda t: t[: t.rindex(".") + 1],
    lambda t: t[: t.rindex(".")],
    lambda t: t[: len("v1.1.")],
    lambda t: t[: t.rindex(".") + 20],  # ciphertext shorter than a tag
    lambda t: t.replace(t.split(".")[2], t.split(".")[2][:-2]),  # short nonce
    lambda t: "v2" + t[2:],
    lambda t: "V1" + t[2:],
    lambda t: t.replace(".", ":"),
    lambda t: t + ".AAAA",
    lambda t: t + "=",
    lambda t: t + "\n",
    lambda t: " " + t,
    lambda t: t.replace("v1.1.", "v1.x."),
    lambda t: t.replace("v1.1.", "v1.-1."),
    lambda t: t.replace("v1.1.", "v1.01."),
    lambda t: t.replace("v1.1.", "v1.."),
    lambda t: t.replace("v1.1.", "v1.²."),
    lambda t: t.replace("v1.1.", "v1.1234567."),
    lambda t: "",
]


@pytest.mark.parametrize("mangle", MANGLES)
def test_malformed_or_truncated_tokens(sealer: FieldSealer, mangle: Callable[[str], str]) -> None:
    token = sealer.seal("张三 2024 and some more text to cut", context=CONTEXT)
    broken = mangle(token)
    assert broken != token
    with pytest.raises(SealError):
        sealer.open(broken, context=CONTEXT)


@pytest.mark.parametrize("junk", ["!", "*", "=", "~", "+", "/"])
def test_a_token_with_foreign_characters_does_not_open(sealer: FieldSealer, junk: str) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    prefix, version, nonce, sealed = token.split(".")
    altered = f"{prefix}.{version}.{nonce}.{sealed[:8]}{junk}{sealed[8:]}"
    with pytest.raises(SealError, match="malformed"):
        sealer.open(altered, context=CONTEXT)


@pytest.mark.parametrize("version", ["2", "9", "999999"])
def test_unknown_key_version(sealer: FieldSealer, version: str) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError) as exc:
        sealer.open(token.replace("v1.1.", f"v1.{version}.", 1), context=CONTEXT)
    assert f"version {version}" in exc.value.detail


# --- rotation ----------------------------------------------------------------------------------


def test_rotation_seals_with_the_new_version(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    sealer = FieldSealer(keks)
    token_v1 = sealer.seal("王五", context=CONTEXT)
    assert keks.rotate() == 2
    assert mode_of(key_dir / "kek-0002.json") == 0o600
    assert keks.versions() == [1, 2]
    assert keks.current_version == 2
    assert keks.key(2) != keks.key(1)

    for current in (sealer, FieldSealer(keks), FieldSealer(KeyEncryptionKeys.open(key_dir, None))):
        token_v2 = current.seal("王五", context=CONTEXT)
        assert token_v2.startswith("v1.2.")
        assert current.open(token_v1, context=CONTEXT) == "王五"
        assert current.open(token_v2, context=CONTEXT) == "王五"
        assert current.needs_reseal(token_v1) is True
        assert current.needs_reseal(token_v2) is False


def test_a_rotation_by_another_process_is_picked_up(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    worker = FieldSealer(keks)
    old = worker.seal("赵六", context=CONTEXT)
    # The command line opens the same folder on its own and rotates.
    command_line = KeyEncryptionKeys.open(key_dir, None)
    command_line.rotate()
    new = FieldSealer(command_line).seal("赵六", context=CONTEXT)
    assert new.startswith("v1.2.")
    # The worker opens the new value and seals under the new version from now on.
    assert worker.open(new, context=CONTEXT) == "赵六"
    assert worker.seal("赵六", context=CONTEXT).startswith("v1.2.")
    assert worker.open(old, context=CONTEXT) == "赵六"
    assert keks.versions() == [1, 2]


def test_rotations_from_two_handles_do_not_collide(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    other = KeyEncryptionKeys.open(key_dir, None)
    assert keks.rotate() == 2
    assert other.rotate() == 3  # it sees version 2 under the lock
    assert keks.rotate() == 4
    assert KeyEncryptionKeys.open(key_dir, None).versions() == [1, 2, 3, 4]
    assert not [p for p in key_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_token_cannot_be_moved_to_another_version(keks: KeyEncryptionKeys) -> None:
    keks.rotate()
    sealer = FieldSealer(keks)
    token = sealer.seal("王五", context=CONTEXT)
    with pytest.raises(SealError, match="does not open"):
        sealer.open(token.replace("v1.2.", "v1.1.", 1), context=CONTEXT)


def test_another_instance_cannot_open_tokens(tmp_path: Path, sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    other = FieldSealer(KeyEncryptionKeys.create(tmp_path / "other", None))
    with pytest.raises(SealError, match="does not open"):
        other.open(token, context=CONTEXT)


# --- lookup hashes -----------------------------------------------------------------------------


def test_lookup_hash_is_stable(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    first = FieldSealer(keks).lookup_hash(MATERIAL)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert FieldSealer(KeyEncryptionKeys.open(key_dir, None)).lookup_hash(MATERIAL) == first
    # Rotation must not change it: every stored lookup would stop finding its account.
    keks.rotate()
    keks.rotate()
    assert FieldSealer(keks).lookup_hash(MATERIAL) == first
    assert FieldSealer(KeyEncryptionKeys.open(key_dir, None)).lookup_hash(MATERIAL) == first
    assert FieldSealer(keks).lookup_hash(MATERIAL + b" ") != first


def test_lookup_hash_is_keyed(tmp_path: Path, sealer: FieldSealer) -> None:
    other = FieldSealer(KeyEncryptionKeys.create(tmp_path / "other", None))
    assert other.lookup_hash(MATERIAL) != sealer.lookup_hash(MATERIAL)
    # Not a plain hash of the material either: without the KEK nobody can test a guess.
    assert sealer.lookup_hash(MATERIAL) != hashlib.sha256(MATERIAL).hexdigest()


def test_lookup_hash_is_the_same_with_a_passphrase(tmp_path: Path) -> None:
    created = KeyEncryptionKeys.create(tmp_path / "kek", PASSPHRASE)
    opened = KeyEncryptionKeys.open(tmp_path / "kek", PASSPHRASE)
    assert FieldSealer(created).lookup_hash(MATERIAL) == FieldSealer(opened).lookup_hash(MATERIAL)
