"""cURL in and out: a pasted cURL command as webhook definition data, and a webhook as cURL.

hooksmith sends JSON bodies only (docs/design.md#rendering), so form data (`-d a=1&b=2`,
`--data-urlencode`) becomes query `params`; JSON data becomes the `body`. A
`Content-Type: application/json` header next to a body is dropped on import because hooksmith
sends it by default, and written back on export so the command does what hooksmith does.

>>> parse_curl("curl -u sk_test: https://api.example.com/v1/charges -d amount=20")["params"]
[{'key': 'amount', 'value': '20'}]
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from hooksmith.engine.definition import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Webhook,
    auth_secret,
    parse_webhook,
)
from hooksmith.engine.errors import InvalidDefinition
from hooksmith.engine.redaction import is_sensitive_header
from hooksmith.engine.result import SentRequest

FIELD: Final = "curl"
MAX_CURL_CHARS: Final = 64 * 1024  # API docs need a few KB; shlex reads ~1 MB/s
TOKEN_PLACEHOLDER: Final = "$HOOKSMITH_TOKEN"
PASSWORD_PLACEHOLDER: Final = "$HOOKSMITH_PASSWORD"
SECRET_PLACEHOLDER: Final = "$HOOKSMITH_SECRET"
# Set by curl itself from what it sends; a copy would only be wrong when the body is edited.
COMPUTED_HEADERS: Final = frozenset({"host", "content-length", "accept-encoding", "connection"})
DEFAULT_TIMEOUT: Final = 5.0
JSON_TYPE: Final = "application/json"

# Flags that change nothing hooksmith sends (output, progress, TLS checks it always makes).
HARMLESS: Final = frozenset(
    {"-s", "--silent", "-S", "--show-error", "-L", "--location", "-k", "--insecure",
     "--compressed", "-v", "--verbose", "-i", "--include", "-f", "--fail", "-g", "--globoff"}
)  # fmt: skip
HARMLESS_WITH_VALUE: Final = frozenset({"--connect-timeout"})
WITH_VALUE: Final = frozenset(
    {"-X", "--request", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
     "--data-ascii", "--data-urlencode", "--json", "-u", "--user", "--url", "-m", "--max-time",
     "-A", "--user-agent", "-e", "--referer", "-b", "--cookie"}
)  # fmt: skip
SHORT_WITH_VALUE: Final = frozenset(flag[1] for flag in WITH_VALUE if len(flag) == 2)
SHORT_FLAGS: Final = frozenset(flag[1] for flag in HARMLESS | {"-G", "-I"} if len(flag) == 2)


def _refuse(message: str) -> InvalidDefinition:
    return InvalidDefinition([(FIELD, message)])


ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b",
                  "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip
HEX_DIGITS: Final = {"x": 2, "u": 4, "U": 8}
SHELL_SPECIALS: Final = re.compile(r"[\\^]\r?\n|\$'")


def _ansi_c(text: str, start: int) -> tuple[str, int] | None:
    """The `$'…'` string (bash ANSI-C quoting, as browsers' "Copy as cURL" writes it) that
    starts at `start`, decoded, and the index after it; None if it never closes."""
    out: list[str] = []
    index = start + 2
    while index < len(text):
        char = text[index]
        if char == "'":
            return "".join(out), index + 1
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        code = text[index + 1]
        digits = HEX_DIGITS.get(code)
        if digits is not None:
            hex_part = ""
            while len(hex_part) < digits and index + 2 + len(hex_part) < len(text):
                if text[index + 2 + len(hex_part)] not in "0123456789abcdefABCDEF":
                    break
                hex_part += text[index + 2 + len(hex_part)]
            if hex_part and int(hex_part, 16) <= 0x10FFFF:
                out.append(chr(int(hex_part, 16)))
                index += 2 + len(hex_part)
                continue
        out.append(ESCAPES.get(code, "\\" + code))
        index += 2
    return None


def _join_lines(text: str) -> str:
    """The command with its line continuations (`\\` in sh, `^` in cmd.exe) removed, and
    `$'…'` strings as plain quoted words.

    Inside single quotes a backslash is literal in sh, so a body there is left as written.
    """
    if not SHELL_SPECIALS.search(text):
        return text
    out: list[str] = []
    quote_char = ""
    index = 0
    while index < len(text):
        char = text[index]
        rest = text[index + 1 : index + 3]
        if quote_char != "'" and char in "\\^" and (rest[:1] == "\n" or rest == "\r\n"):
            if char == "\\" or not quote_char:
                index += 1 + (2 if rest == "\r\n" else 1)
                continue
        if char == "$" and not quote_char and text[index + 1 : index + 2] == "'":
            decoded = _ansi_c(text, index)
            if decoded is not None:
                out.append(shlex.quote(decoded[0]))
                index = decoded[1]
                continue
        if char == "\\" and quote_char != "'" and index + 1 < len(text):
            out.append(text[index : index + 2])
            index += 2
            continue
        if char in "'\"":
            quote_char = "" if quote_char == char else (quote_char or char)
        out.append(char)
        index += 1
    return "".join(out)


def _words(text: str) -> list[str]:
    if len(text) > MAX_CURL_CHARS:
        raise _refuse(f"the command is longer than {MAX_CURL_CHARS // 1024} KB")
    joined = _join_lines(text).strip()
    if joined.endswith(("\\", "^")):  # a continuation with nothing after it, as often copied
        joined = joined[:-1]
    try:
        words = shlex.split(joined, comments=False, posix=True)
    except ValueError as error:
        raise _refuse(f"cannot read the command: {error} (check its quotes)") from None
    if words[:1] == ["$"]:
        words = words[1:]
    program = words[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if words else ""
    if program not in {"curl", "curl.exe"}:
        raise _refuse("paste a command that starts with curl")
    return words[1:]


def _options(words: list[str]) -> list[tuple[str, str | None]]:
    """Each option with its value (None for a switch); a bare word is the URL (`--url`)."""
    found: list[tuple[str, str | None]] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word.startswith("--"):
            if word in WITH_VALUE or word in HARMLESS_WITH_VALUE:
                if index >= len(words):
                    raise _refuse(f"{word} needs a value")
                found.append((word, words[index]))
                index += 1
            elif word in HARMLESS or word in {"--get", "--head"}:
                found.append((word, None))
            else:
                raise _refuse(f"{word} is not an option hooksmith can import; remove it")
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            while letters:
                letter, letters = letters[0], letters[1:]
                if letter in SHORT_WITH_VALUE:
                    if not letters:
                        if index >= len(words):
                            raise _refuse(f"-{letter} needs a value")
                        letters, index = words[index], index + 1
                    found.append((f"-{letter}", letters))
                    letters = ""
                elif letter in SHORT_FLAGS:
                    found.append((f"-{letter}", None))
                else:
                    raise _refuse(f"-{letter} is not an option hooksmith can import; remove it")
        else:
            found.append(("--url", word))
    return found


def _header(line: str) -> tuple[str, str] | None:
    if any(char in line for char in "\r\n\x00"):
        raise _refuse(f"the header {line[:40]!r} holds a line break or NUL")
    if ":" not in line:
        if line.endswith(";"):
            return line[:-1].strip(), ""
        raise _refuse(f"the header {line[:40]!r} is not 'Name: value'")
    name, value = line.split(":", 1)
    return (name.strip(), value.strip()) if value.strip() else None


def _auth_from_header(value: str) -> dict[str, str] | None:
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return {"type": "bearer", "token": credentials}
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, colon, password = decoded.partition(":")
        return {"type": "basic", "username": user, "password": password} if colon else None
    return None


def _encoded_piece(value: str) -> tuple[str, str]:
    """One `--data-urlencode` value as a (key, raw value) param; curl encodes the raw text."""
    equals, at = value.find("="), value.find("@")
    if at != -1 and (equals == -1 or at < equals):
        raise _refuse("--data-urlencode name@file reads a file; paste its contents instead")
    name, _, content = value.partition("=")
    return (name, content) if name else (content, "")


def _url(raw: str) -> tuple[str, list[dict[str, str]]]:
    if "://" not in raw.split("?", 1)[0]:
        raw = "http://" + raw
    parts = urlsplit(raw)
    params = [
        {"key": key, "value": value}
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), params


def _looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in {"{", "["}


def _name(method: str, url: str) -> str:
    parts = urlsplit(url)
    return f"{method} {parts.netloc}{parts.path}"[:200] or "Imported from cURL"


def parse_curl(text: str) -> dict[str, Any]:
    """Webhook definition data of a cURL command as pasted from API docs.

    >>> parse_curl("curl -H 'Authorization: Bearer t0k' https://api.example.com/me")["auth"]
    {'type': 'bearer', 'token': 't0k'}
    """
    method: str | None = None
    url: str | None = None
    get = head = False
    headers: list[tuple[str, str]] = []
    auth: dict[str, str] | None = None
    data: list[tuple[bool, str]] = []  # (url-encoded by curl?, value), in command order
    json_data: list[str] = []
    timeout: float | None = None
    for option, value in _options(_words(text)):
        if value is None:
            get = get or option in {"-G", "--get"}
            head = head or option in {"-I", "--head"}
        elif option in {"-X", "--request"}:
            method = value.upper()
        elif option == "--url":
            if url is not None:
                raise _refuse("the command names more than one URL; keep one")
            url = value
        elif option in {"-H", "--header"}:
            header = _header(value)
            if header is not None:
                found = (
                    _auth_from_header(header[1]) if header[0].lower() == "authorization" else None
                )
                if found is not None:
                    auth = found
                else:
                    headers.append(header)
        elif option in {"-u", "--user"}:
            user, _, password = value.partition(":")
            auth = {"type": "basic", "username": user, "password": password}
        elif option in {"-A", "--user-agent"}:
            headers.append(("User-Agent", value))
        elif option in {"-e", "--referer"}:
            headers.append(("Referer", value))
        elif option in {"-b", "--cookie"}:
            if "=" not in value:
                raise _refuse(f"{option} {value[:40]!r} reads a cookie file; give name=value")
            headers.append(("Cookie", value))
        elif option == "--data-urlencode":
            data.append((True, value))
        elif option == "--json":
            json_data.append(value)
        elif option in {"-m", "--max-time"}:
            try:
                seconds = float(value)
            except ValueError:
                raise _refuse(f"{option} needs a number of seconds (got {value[:20]!r})") from None
            timeout = seconds if 0 < seconds <= 60 else timeout
        elif option.startswith(("-d", "--data")):
            if value.startswith("@") and option != "--data-raw":
                raise _refuse(f"{option} {value[:40]} reads a file; paste its contents instead")
            data.append((False, value))
    if url is None:
        raise _refuse("the command has no URL")
    bare_url, params = _url(url)
    if json_data and data:
        raise _refuse("give the body with --json or with -d, not both")
    raw = "&".join(value for encoded, value in data if not encoded)
    as_text = raw and not get and "=" not in raw  # not form data: sent as written
    body: str | None = "".join(json_data) if json_data else None
    if raw and not get and (_looks_like_json(raw) or as_text):
        body = raw
    for encoded, value in data:
        if encoded:
            key, content = _encoded_piece(value)
            params.append({"key": key, "value": content})
        elif body is None:
            pairs = parse_qsl(value, keep_blank_values=True)
            params += [{"key": key, "value": content} for key, content in pairs]
    if json_data and not any(name.lower() == "accept" for name, _ in headers):
        headers.append(("Accept", JSON_TYPE))
    if body is not None:
        headers = [
            (name, value)
            for name, value in headers
            if not (name.lower() == "content-type" and value.lower() == JSON_TYPE)
        ]
    if method is None:
        sends_data = body is not None or bool(data)
        method = "HEAD" if head else "POST" if sends_data and not get else "GET"
    definition: dict[str, Any] = {"name": _name(method, bare_url), "method": method}
    definition |= {"url": bare_url, "headers": [{"key": k, "value": v} for k, v in headers]}
    definition |= {"params": params, "auth": auth or {"type": "none"}, "body": body}
    if timeout is not None:
        definition["timeout"] = timeout
    parse_webhook(definition)
    return definition


def _quoted(text: str) -> str:
    """A shell word that is exactly `text`: a value can never leave its quotes."""
    return shlex.quote(text)


def _query(params: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(key, safe='{}/:,@$')}={quote(value, safe='{}/:,@$')}" for key, value in params
    )


def to_curl(webhook: Webhook, *, reveal_secrets: bool = False) -> str:
    """A readable multi-line cURL command of a definition; secrets as `$HOOKSMITH_…` variables.

    >>> print(to_curl(Webhook(name="n", url="https://api.example.com/me")))
    curl https://api.example.com/me
    """
    url = webhook.url
    params = [(param.key, param.value) for param in webhook.params]
    if params:
        url += ("&" if "?" in url else "?") + _query(params)
    method = "" if webhook.method == "GET" else f"-X {webhook.method.value} "
    lines = [f"curl {method}{_quoted(url)}"]
    auth = webhook.auth
    if isinstance(auth, BasicAuth):
        user = auth.username + ":"
        if reveal_secrets:
            lines.append(f"-u {_quoted(user + (auth_secret(auth) or ''))}")
        else:
            lines.append(f'-u {_quoted(user)}"{PASSWORD_PLACEHOLDER}"')
    elif isinstance(auth, BearerAuth):
        prefix = "Authorization: Bearer "
        if reveal_secrets:
            lines.append(f"-H {_quoted(prefix + (auth_secret(auth) or ''))}")
        else:
            lines.append(f'-H {_quoted(prefix)}"{TOKEN_PLACEHOLDER}"')
    elif isinstance(auth, ApiKeyAuth) and auth.location == "header":
        prefix = f"{auth.name}: "
        if reveal_secrets:
            lines.append(f"-H {_quoted(prefix + (auth_secret(auth) or ''))}")
        else:
            lines.append(f'-H {_quoted(prefix)}"{SECRET_PLACEHOLDER}"')
    for header in webhook.headers:
        line = f"{header.key}: {header.value}" if header.value else f"{header.key};"
        lines.append(f"-H {_quoted(line)}")
    if webhook.body is not None:
        if not any(header.key.lower() == "content-type" for header in webhook.headers):
            lines.append(f"-H {_quoted('Content-Type: ' + JSON_TYPE)}")
        lines.append(f"--data-raw {_quoted(webhook.body)}")
    if webhook.timeout != DEFAULT_TIMEOUT:
        seconds = int(webhook.timeout) if webhook.timeout.is_integer() else webhook.timeout
        lines.append(f"--max-time {seconds}")
    return " \\\n  ".join(lines)


def request_as_curl(request: SentRequest) -> str:
    """A run's request as sent, as a cURL command; each credential header as a `$HOOKSMITH_…`.

    >>> print(request_as_curl(SentRequest(method="GET", url="https://a.example/?q=1")))
    curl 'https://a.example/?q=1'
    """
    method = "" if request.method == "GET" else f"-X {_quoted(request.method)} "
    lines = [f"curl {method}{_quoted(request.url)}"]
    for header in request.headers:
        if header.key.lower() in COMPUTED_HEADERS:
            continue
        if is_sensitive_header(header.key):  # shown masked or redacted, never whole
            placeholder = (
                "$HOOKSMITH_AUTHORIZATION"
                if header.key.lower() == "authorization"
                else SECRET_PLACEHOLDER
            )
            lines.append(f'-H {_quoted(header.key + ": ")}"{placeholder}"')
        else:
            lines.append(f"-H {_quoted(f'{header.key}: {header.value}')}")
    if request.body is not None:
        lines.append(f"--data-raw {_quoted(request.body)}")
    return " \\\n  ".join(lines)
