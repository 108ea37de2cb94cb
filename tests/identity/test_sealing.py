"""Sealing personal data: KEK files, AES-GCM tokens bound to their place, lookup hashes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.errors import SigningKeyError
from creditbank.identity.sealing import FieldSealer, KeyEncryptionKeys, SealError

CONTEXT = "learner:42:name"
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "keys"


@pytest.fixture
def keks(key_dir: Path) -> KeyEncryptionKeys:
    return KeyEncryptionKeys.create(key_dir, None)


@pytest.fixture
def sealer(keks: KeyEncryptionKeys) -> FieldSealer:
    return FieldSealer(keks)


def test_create_writes_private_files(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    assert mode_of(key_dir) == 0o700
    files = sorted(p.name for p in key_dir.iterdir())
    assert files == ["kek-1.key"]
    assert mode_of(key_dir / "kek-1.key") == 0o600
    assert keks.versions() == [1]
    assert keks.current_version == 1


def test_create_tightens_an_existing_folder(key_dir: Path) -> None:
    key_dir.mkdir(parents=True)
    key_dir.chmod(0o755)
    KeyEncryptionKeys.create(key_dir, None)
    assert mode_of(key_dir) == 0o700


def test_create_refuses_a_folder_with_keys(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.create(key_dir, None)


def test_open_reads_the_same_keys(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    reopened = KeyEncryptionKeys.open(key_dir, None)
    assert reopened.versions() == [1]
    assert reopened.key(1) == keks.key(1)
    assert len(keks.key(1)) == 32


def test_open_of_a_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(tmp_path / "nowhere", None)
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(empty, None)


def test_unknown_version_of_the_kek(keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SealError):
        keks.key(2)


@pytest.mark.parametrize(
    "plaintext", ["张三", "", "O'Brien", "身份证 11010519491231002X", "🎓" * 100, "a" * 5000]
)
def test_seal_open_round_trip(sealer: FieldSealer, plaintext: str) -> None:
    token = sealer.seal(plaintext, context=CONTEXT)
    assert plaintext not in token or plaintext == ""
    assert token.startswith("v1.1.")
    assert sealer.open(token, context=CONTEXT) == plaintext


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(), st.text(min_size=1))
def test_seal_open_round_trip_property(sealer: FieldSealer, plaintext: str, context: str) -> None:
    try:
        context.encode("utf-8")
        plaintext.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are no text anyone could store
    assert sealer.open(sealer.seal(plaintext, context=context), context=context) == plaintext


def test_sealing_twice_gives_different_tokens(sealer: FieldSealer) -> None:
    first = sealer.seal("张三", context=CONTEXT)
    second = sealer.seal("张三", context=CONTEXT)
    assert first != second


def test_reopened_instance_opens_old_tokens(key_dir: Path, sealer: FieldSealer) -> None:
    token = sealer.seal("李四", context=CONTEXT)
    again = FieldSealer(KeyEncryptionKeys.open(key_dir, None))
    assert again.open(token, context=CONTEXT) == "李四"


@pytest.mark.parametrize("other", ["learner:43:name", "learner:42:phone", "", "learner:42:name "])
def test_wrong_context_does_not_open(sealer: FieldSealer, other: str) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError):
        sealer.open(token, context=other)


def test_seal_error_names_only_the_kind_of_place(sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError) as exc:
        sealer.open(token, context="learner:43:name")
    assert "learner" in str(exc.value)
    assert "43" not in str(exc.value)
    assert "张三" not in str(exc.value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_flipped_character_does_not_open(sealer: FieldSealer, data: st.DataObject) -> None:
    token = sealer.seal(data.draw(st.text(max_size=40), label="plaintext"), context=CONTEXT)
    prefix, version, nonce, sealed = token.split(".")
    # Every character of the nonce carries 6 key bits (12 bytes = 16 characters); the last
    # character of the ciphertext may carry padding bits, so it is left out here.
    body = f"{nonce}.{sealed[:-1]}"
    position = data.draw(st.integers(0, len(body) - 1), label="position")
    if body[position] == ".":
        return
    replacement = data.draw(
        st.sampled_from([c for c in B64_ALPHABET if c != body[position]]), label="replacement"
    )
    flipped = body[:position] + replacement + body[position + 1 :]
    with pytest.raises(SealError):
        sealer.open(f"{prefix}.{version}.{flipped}{sealed[-1]}", context=CONTEXT)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[:-4],
        lambda t: t[: t.rindex(".") + 1],
        lambda t: t[: t.rindex(".")],
        lambda t: t[: len("v1.1.")],
        lambda t: "v2" + t[2:],
        lambda t: "V1" + t[2:],
        lambda t: t.replace(".", ":"),
        lambda t: t + ".AAAA",
        lambda t: t.replace("v1.1.", "v1.x."),
        lambda t: t.replace("v1.1.", "v1.-1."),
        lambda t: t.replace("v1.1.", "v1.."),
        lambda t: "",
    ],
)
def test_malformed_or_truncated_tokens(sealer: FieldSealer, mangle: object) -> None:
    token = sealer.seal("张三 2024", context=CONTEXT)
    assert callable(mangle)
    broken = mangle(token)
    assert broken != token
    with pytest.raises(SealError):
        sealer.open(broken, context=CONTEXT)


def test_unknown_key_version(sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    for version in ("2", "0", "999999"):
        with pytest.raises(SealError) as exc:
            sealer.open(token.replace("v1.1.", f"v1.{version}.", 1), context=CONTEXT)
        assert version in str(exc.value)


def test_unicode_digit_version_is_a_seal_error(sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    with pytest.raises(SealError):
        sealer.open(token.replace("v1.1.", "v1.².", 1), context=CONTEXT)


@pytest.mark.parametrize("junk", ["!", "*", "=", "~"])
def test_a_token_with_foreign_characters_does_not_open(sealer: FieldSealer, junk: str) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    prefix, version, nonce, sealed = token.split(".")
    altered = f"{prefix}.{version}.{nonce[:8]}{junk}{nonce[8:]}.{sealed}"
    with pytest.raises(SealError):
        sealer.open(altered, context=CONTEXT)


def test_rotation_seals_with_the_new_version(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    old = FieldSealer(keks)
    token_v1 = old.seal("王五", context=CONTEXT)
    assert keks.rotate() == 2
    assert mode_of(key_dir / "kek-2.key") == 0o600
    assert keks.versions() == [1, 2]
    assert keks.current_version == 2
    assert keks.key(2) != keks.key(1)

    for keys in (keks, KeyEncryptionKeys.open(key_dir, None)):
        new = FieldSealer(keys)
        token_v2 = new.seal("王五", context=CONTEXT)
        assert token_v2.startswith("v1.2.")
        assert new.open(token_v1, context=CONTEXT) == "王五"
        assert new.open(token_v2, context=CONTEXT) == "王五"
    # The sealer made before the rotation does not know version 2.
    with pytest.raises(SealError):
        old.open(token_v2, context=CONTEXT)


def test_a_token_cannot_be_moved_to_another_version(keks: KeyEncryptionKeys) -> None:
    keks.rotate()
    sealer = FieldSealer(keks)
    token = sealer.seal("王五", context=CONTEXT)
    with pytest.raises(SealError):
        sealer.open(token.replace("v1.2.", "v1.1.", 1), context=CONTEXT)


def test_lookup_hash_is_stable(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    material = b"resident_id|CHN|11010519491231002X"
    first = FieldSealer(keks).lookup_hash(material)
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert FieldSealer(KeyEncryptionKeys.open(key_dir, None)).lookup_hash(material) == first
    keks.rotate()
    keks.rotate()
    assert FieldSealer(keks).lookup_hash(material) == first
    assert FieldSealer(KeyEncryptionKeys.open(key_dir, None)).lookup_hash(material) == first
    assert FieldSealer(keks).lookup_hash(material + b" ") != first


def test_lookup_hash_differs_for_another_instance(tmp_path: Path, sealer: FieldSealer) -> None:
    material = b"resident_id|CHN|11010519491231002X"
    other = FieldSealer(KeyEncryptionKeys.create(tmp_path / "other", None))
    assert other.lookup_hash(material) != sealer.lookup_hash(material)


def test_another_instance_cannot_open_tokens(tmp_path: Path, sealer: FieldSealer) -> None:
    token = sealer.seal("张三", context=CONTEXT)
    other = FieldSealer(KeyEncryptionKeys.create(tmp_path / "other", None))
    with pytest.raises(SealError):
        other.open(token, context=CONTEXT)


def test_passphrase_wrapped_kek(key_dir: Path) -> None:
    created = KeyEncryptionKeys.create(key_dir, b"correct horse")
    raw = (key_dir / "kek-1.key").read_bytes()
    assert created.key(1) not in raw
    token = FieldSealer(created).seal("张三", context=CONTEXT)

    opened = KeyEncryptionKeys.open(key_dir, b"correct horse")
    assert opened.key(1) == created.key(1)
    assert FieldSealer(opened).open(token, context=CONTEXT) == "张三"

    for wrong in (b"wrong horse", None, b""):
        with pytest.raises(SigningKeyError):
            KeyEncryptionKeys.open(key_dir, wrong)


def test_rotation_keeps_the_passphrase(key_dir: Path) -> None:
    created = KeyEncryptionKeys.create(key_dir, b"pass")
    created.rotate()
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, None)
    assert KeyEncryptionKeys.open(key_dir, b"pass").versions() == [1, 2]


def test_plain_kek_refuses_a_passphrase(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, b"unexpected")


def test_damaged_wrapped_kek(key_dir: Path) -> None:
    KeyEncryptionKeys.create(key_dir, b"pass")
    path = key_dir / "kek-1.key"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, b"pass")


def test_truncated_wrapped_kek(key_dir: Path) -> None:
    KeyEncryptionKeys.create(key_dir, b"pass")
    path = key_dir / "kek-1.key"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, b"pass")


@pytest.mark.parametrize("content", [b"", b"CBKEK1P" + b"\x00" * 31, b"not a key at all" * 3])
def test_foreign_or_damaged_plain_file(
    key_dir: Path, keks: KeyEncryptionKeys, content: bytes
) -> None:
    (key_dir / "kek-1.key").write_bytes(content)
    with pytest.raises(SigningKeyError):
        KeyEncryptionKeys.open(key_dir, None)


def test_other_files_in_the_folder_are_ignored(key_dir: Path, keks: KeyEncryptionKeys) -> None:
    (key_dir / "README").write_text("keys live here\n")
    (key_dir / "kek-1.key.bak").write_bytes(b"junk")
    assert KeyEncryptionKeys.open(key_dir, None).versions() == [1]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_readable_key_file_is_refused(key_dir: Path, keks: KeyEncryptionKeys, mode: int) -> None:
    (key_dir / "kek-1.key").chmod(mode)
    with pytest.raises(SigningKeyError) as exc:
        KeyEncryptionKeys.open(key_dir, None)
    assert "kek-1.key" in str(exc.value)


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o755])
def test_readable_key_folder_is_refused(key_dir: Path, keks: KeyEncryptionKeys, mode: int) -> None:
    key_dir.chmod(mode)
    try:
        with pytest.raises(SigningKeyError):
            KeyEncryptionKeys.open(key_dir, None)
    finally:
        key_dir.chmod(0o700)


def test_repr_shows_no_key_material(keks: KeyEncryptionKeys) -> None:
    text = repr(keks)
    assert "[1]" in text
    assert keks.key(1).hex() not in text
    assert repr(keks.key(1)) not in text
