from __future__ import annotations

from hooksmith.engine.redaction import REDACTED, Redactor, is_sensitive_header


def test_secret_values_are_redacted_in_every_form() -> None:
    redactor = Redactor(["p@ss word"], basic_credentials="bot:p@ss word")
    assert redactor.text("x=p%40ss%20word&y=p%40ss+word") == f"x={REDACTED}&y={REDACTED}"
    assert redactor.text("Basic Ym90OnBAc3Mgd29yZA==") == f"Basic {REDACTED}"
    assert redactor.data({"k": ["p@ss word"]}) == {"k": [REDACTED]}


def test_credential_headers_are_recognised() -> None:
    for name in ("Authorization", "Cookie", "X-Api-Key", "X-Auth-Token", "Client-Secret"):
        assert is_sensitive_header(name)
    assert not is_sensitive_header("Accept")
