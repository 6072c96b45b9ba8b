from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from hooksmith.engine.redaction import REDACTED, Redactor, is_sensitive_header, masked


def test_secret_values_are_redacted_in_every_form() -> None:
    redactor = Redactor(["p@ss word"], basic_credentials="bot:p@ss word")
    assert redactor.text("x=p%40ss%20word&y=p%40ss+word") == f"x={REDACTED}&y={REDACTED}"
    assert redactor.text("Basic Ym90OnBAc3Mgd29yZA==") == f"Basic {REDACTED}"
    assert redactor.data({"k": ["p@ss word"]}) == {"k": [REDACTED]}


def test_credential_headers_are_recognised() -> None:
    for name in ("Authorization", "Cookie", "X-Api-Key", "X-Auth-Token", "Client-Secret"):
        assert is_sensitive_header(name)
    assert not is_sensitive_header("Accept")


def test_a_credential_header_of_the_request_as_sent_shows_its_scheme_and_four_characters() -> None:
    redactor = Redactor(["abcdefghyz"])
    basic = base64.b64encode(b"bot:s3cret-pw").decode()
    assert redactor.sent_header("Authorization", "Bearer abcdefghyz") == "Bearer ab…yz"
    assert redactor.sent_header("Authorization", f"Basic {basic}") == "Basic bot:s3…pw"
    assert redactor.sent_header("X-Api-Key", "key-1234567") == "ke…67"
    assert redactor.sent_header("Accept", "abcdefghyz") == REDACTED


def test_a_short_credential_is_hidden_entirely() -> None:
    redactor = Redactor([])
    assert masked("1234567") == REDACTED
    assert redactor.sent_header("Authorization", "Bearer 1234567") == f"Bearer {REDACTED}"
    assert redactor.sent_header("X-Api-Key", "abc") == REDACTED


def test_a_user_name_without_a_password_is_the_secret_and_is_masked() -> None:
    key = base64.b64encode(b"sk_test_4eC39HqLyjWDarjtT1zdp7dc:").decode()
    assert Redactor([]).sent_header("Authorization", f"Basic {key}") == "Basic sk…dc"


MIDDLE_SECRET = "tok-Z9q8W7e6R5t4-end"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Authorization", f"Bearer {MIDDLE_SECRET}"),
        ("Authorization", "Basic " + base64.b64encode(f"bot:{MIDDLE_SECRET}".encode()).decode()),
        ("Authorization", "Basic " + base64.b64encode(f"{MIDDLE_SECRET}:".encode()).decode()),
        ("Authorization", "Basic not base64 " + MIDDLE_SECRET),
        ("X-Api-Key", MIDDLE_SECRET),
        ("Cookie", f"session={MIDDLE_SECRET}; theme=dark"),
        ("X-Trace", f"t-{MIDDLE_SECRET}"),
        ("X-Trace", quote(MIDDLE_SECRET, safe="")),
    ],
)
def test_the_middle_of_a_secret_never_shows(name: str, value: str) -> None:
    shown = Redactor([MIDDLE_SECRET], basic_credentials=f"bot:{MIDDLE_SECRET}").sent_header(
        name, value
    )
    middle = MIDDLE_SECRET[2:-2]
    for form in (middle, quote(middle, safe=""), base64.b64encode(middle.encode()).decode()):
        assert form not in shown
    for cut in range(3):  # base64 of the middle as it sits in a longer text, at each offset
        encoded = base64.b64encode(("x" * cut + middle).encode()).decode()[4:-4]
        assert encoded not in shown
    assert len(shown.rsplit(" ", 1)[-1]) <= len("bot:ab…yz") or REDACTED in shown
