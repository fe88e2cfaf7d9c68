"""Secrets sealed at rest (kernel/sealing.py): what one key seals only that key opens, for
the context it was sealed for; the keys file's first key seals and every key opens
(rotation); a file that is missing or malformed stops the start with one line."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from streamstack.kernel.sealing import (
    SealingKeys,
    UnsealableSecret,
    ensure_dev_sealing_keys,
    is_sealed,
)
from streamstack.settings import SettingsError

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def new_key() -> bytes:
    return secrets.token_bytes(32)


def keys_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "sealing-keys"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_sealed_secret_opens_for_its_context_only() -> None:
    keys = SealingKeys([new_key()])
    sealed = keys.seal(SECRET, "two-factor:a")
    assert is_sealed(sealed) and SECRET not in sealed
    assert sealed.startswith(keys.current_prefix)
    assert keys.open(sealed, "two-factor:a") == SECRET
    # Random nonces: the same secret sealed twice reads differently.
    assert keys.seal(SECRET, "two-factor:a") != sealed
    with pytest.raises(UnsealableSecret):
        keys.open(sealed, "two-factor:b")  # copied into another account's row


def test_an_altered_or_foreign_value_does_not_open() -> None:
    keys = SealingKeys([new_key()])
    sealed = keys.seal(SECRET, "c")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(UnsealableSecret):
        keys.open(flipped, "c")
    with pytest.raises(UnsealableSecret, match="not in the keys file"):
        SealingKeys([new_key()]).open(sealed, "c")
    with pytest.raises(UnsealableSecret):
        keys.open(sealed.rsplit(":", 1)[0] + ":***", "c")


def test_a_value_kept_before_sealing_reads_as_it_is() -> None:
    assert not is_sealed(SECRET)
    assert SealingKeys([new_key()]).open(SECRET, "c") == SECRET


def test_the_first_key_seals_and_every_key_opens(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    old_keys = SealingKeys.from_file(keys_file(tmp_path, base64.b64encode(old).decode()))
    sealed_old = old_keys.seal(SECRET, "c")
    rotated = SealingKeys.from_file(
        keys_file(
            tmp_path,
            "# new first",
            base64.urlsafe_b64encode(new).decode().rstrip("="),  # base64url, unpadded
            "",
            base64.b64encode(old).decode(),
        )
    )
    assert rotated.open(sealed_old, "c") == SECRET
    assert not sealed_old.startswith(rotated.current_prefix)
    sealed_new = rotated.seal(SECRET, "c")
    assert sealed_new.startswith(rotated.current_prefix)
    with pytest.raises(UnsealableSecret):
        old_keys.open(sealed_new, "c")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "holds no key"),
        (("# only a comment",), "holds no key"),
        (("not base64 at all!",), "line 1 is not base64"),
        (("# c", base64.b64encode(b"short").decode()), "line 2 holds 5 bytes, not 32"),
    ],
)
def test_a_malformed_keys_file_is_one_line_naming_it(
    tmp_path: Path, lines: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SettingsError, match=f"STREAMSTACK_SEALING_KEYS_PATH: .*{message}"):
        SealingKeys.from_file(keys_file(tmp_path, *lines))


def test_a_missing_keys_file_says_how_to_make_one_without_overwriting(tmp_path: Path) -> None:
    path = tmp_path / "absent"
    with pytest.raises(SettingsError) as refused:
        SealingKeys.from_file(path)
    message = str(refused.value)
    assert f"`openssl rand -base64 32 >> {path}`" in message  # appends: never overwrites
    assert "only if this server has never had one" in message


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda path: path.write_bytes(b"\xcf\x80 binary \xff"), "is not a keys file"),
        (lambda path: path.mkdir(), "cannot read"),
    ],
)
def test_an_unreadable_keys_file_is_never_to_be_overwritten(
    tmp_path: Path, make: Callable[[Path], object], cause: str
) -> None:
    # The hint read "make one with `openssl rand -base64 32 > <that same path>`": following
    # it over a damaged file, or the real one named by a wrong setting, lost every key that
    # opens the two-factor secrets.
    path = tmp_path / "sealing-keys"
    make(path)
    with pytest.raises(SettingsError) as refused:
        SealingKeys.from_file(path)
    message = str(refused.value)
    assert message.startswith("STREAMSTACK_SEALING_KEYS_PATH: ") and cause in message
    assert "do not replace it" in message
    assert f"> {path}" not in message


def test_the_dev_keys_file_is_private_and_made_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sealing-keys"
    ensure_dev_sealing_keys(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_bytes()
    sealed = SealingKeys.from_file(path).seal(SECRET, "c")
    ensure_dev_sealing_keys(path)
    assert path.read_bytes() == first
    assert SealingKeys.from_file(path).open(sealed, "c") == SECRET
