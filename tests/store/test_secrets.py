from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hooksmith.store import SecretBox, SecretUnreadable, load_or_create_key


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip_is_bound_to_company_and_webhook() -> None:
    box = SecretBox([new_key()])
    token = box.encrypt("p4ss", company_id=1, webhook_id=7)
    assert "p4ss" not in token
    assert box.decrypt(token, company_id=1, webhook_id=7) == "p4ss"
    with pytest.raises(SecretUnreadable, match="another webhook"):
        box.decrypt(token, company_id=1, webhook_id=8)
    with pytest.raises(SecretUnreadable, match="another webhook"):
        box.decrypt(token, company_id=2, webhook_id=7)


def test_rotation_old_key_decrypts_new_key_encrypts() -> None:
    old, new = new_key(), new_key()
    before = SecretBox([old]).encrypt("tok", company_id=1, webhook_id=1)
    rotated = SecretBox([new, old])
    assert rotated.decrypt(before, company_id=1, webhook_id=1) == "tok"
    after = rotated.encrypt("tok", company_id=1, webhook_id=1)
    assert SecretBox([new]).decrypt(after, company_id=1, webhook_id=1) == "tok"
    with pytest.raises(SecretUnreadable):
        SecretBox([old]).decrypt(after, company_id=1, webhook_id=1)
    assert SecretBox([new]).decrypt(rotated.rotate(before), company_id=1, webhook_id=1) == "tok"


def test_unknown_key_and_garbage_are_unreadable() -> None:
    token = SecretBox([new_key()]).encrypt("x", company_id=1, webhook_id=1)
    with pytest.raises(SecretUnreadable, match="set the secret again"):
        SecretBox([new_key()]).decrypt(token, company_id=1, webhook_id=1)
    with pytest.raises(SecretUnreadable):
        SecretBox([new_key()]).decrypt("not a token", company_id=1, webhook_id=1)


def test_a_bad_key_is_named() -> None:
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        SecretBox([new_key(), "short"])
    with pytest.raises(ValueError, match="at least one key"):
        SecretBox([])


def test_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    key = load_or_create_key(var)
    assert stat.S_IMODE((var / "secret.key").stat().st_mode) == 0o600
    assert load_or_create_key(var) == key
    assert [path.name for path in var.iterdir()] == ["secret.key"]
    Fernet(key.encode())


def test_from_setting_prefers_the_variable(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    token = SecretBox([old]).encrypt("s", company_id=1, webhook_id=1)
    box = SecretBox.from_setting(f"{new}, {old}", tmp_path)
    assert box.decrypt(token, company_id=1, webhook_id=1) == "s"
    assert not (tmp_path / "secret.key").exists()

    fallback = SecretBox.from_setting(None, tmp_path)
    assert (tmp_path / "secret.key").exists()
    again = SecretBox.from_setting("", tmp_path)
    sealed = fallback.encrypt("s", company_id=1, webhook_id=1)
    assert again.decrypt(sealed, company_id=1, webhook_id=1) == "s"
