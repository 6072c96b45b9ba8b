"""Session cookies: signed, tamper-proof, expiring; CSRF tokens bound to the session."""

from __future__ import annotations

from hooksmith.service.cookies import SessionCodec, csrf_ok, derive_session_secret


def test_a_cookie_round_trips_and_a_forged_one_is_refused() -> None:
    codec = SessionCodec(derive_session_secret("key"), max_age=60)
    cookie, data = codec.issue(7)
    assert codec.read(cookie) == data
    assert codec.read(cookie[:-2] + "xx") is None
    assert codec.read(None) is None
    other = SessionCodec(derive_session_secret("another key"), max_age=60)
    assert other.read(cookie) is None


def test_the_record_id_is_the_tokens_hash_and_the_token_is_fresh_each_time() -> None:
    codec = SessionCodec("secret", max_age=60)
    _, first = codec.issue(7)
    _, second = codec.issue(7)
    assert first.token != second.token
    assert len(first.session_id) == 64
    assert first.token not in first.session_id


def test_an_expired_cookie_is_refused() -> None:
    codec = SessionCodec("secret", max_age=-1)
    cookie, _ = codec.issue(7)
    assert codec.read(cookie) is None


def test_csrf_needs_the_session_token_in_cookie_and_submission() -> None:
    codec = SessionCodec("secret", max_age=60)
    _, data = codec.issue(1)
    _, other = codec.issue(1)
    assert csrf_ok(data, data.csrf_token, data.csrf_token)
    assert not csrf_ok(data, data.csrf_token, None)
    assert not csrf_ok(data, other.csrf_token, other.csrf_token)
    assert not csrf_ok(data, None, data.csrf_token)
