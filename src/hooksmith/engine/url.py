"""The URL template: placeholders percent-encoded for where they stand.

See docs/design.md#rendering.

A value can never add a path segment or a query key, a placeholder may form a whole host
label (then its value must be a DNS label), and none may touch the scheme, userinfo or port.

    >>> import time
    >>> render_url(Sandbox(), "https://{{ tenant }}.example.com/u/{{ id }}",
    ...            context={"tenant": "acme"}, conversation={"id": "a/b"},
    ...            deadline=time.monotonic() + 1).value
    'https://acme.example.com/u/a%2Fb'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, Undefined, meta
from jinja2.exceptions import TemplateSyntaxError

from hooksmith.engine.environment import SandboxTemplate
from hooksmith.engine.errors import RenderError
from hooksmith.engine.placeholders import read_placeholder
from hooksmith.engine.sandbox import Rendered, Sandbox

FIELD = "url"
MARK = "\x00"
AS_LABEL = "_hs_url_label"
AS_SEGMENT = "_hs_url_segment"
AS_COMPONENT = "_hs_url_component"
DNS_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def render_url(
    sandbox: Sandbox,
    source: str,
    *,
    context: Mapping[str, str],
    conversation: Mapping[str, Any],
    deadline: float,
) -> Rendered[str]:
    """Render a URL template, filling placeholders from `context` first, then the conversation.

    >>> import time
    >>> render_url(Sandbox(), "https://x.io/s?q={{ q }}", context={},
    ...            conversation={"q": "a&b=c"}, deadline=time.monotonic() + 1).value
    'https://x.io/s?q=a%26b%3Dc'
    """
    if "{" not in source:  # no placeholder: nothing to render
        _check_static(source)
        return Rendered(as_uri(source))
    template = _compiled(sandbox, source)
    variables = {**conversation, **context} if context else conversation
    rendered = sandbox.render_template(template, variables, deadline=deadline, field=FIELD)
    _check_absolute(rendered.value)
    if rendered.value.isascii():
        return rendered
    return Rendered(as_uri(rendered.value), rendered.warnings)


def check_url(sandbox: Sandbox, source: str) -> None:
    """Compile a URL template without rendering it (a `RenderError` when it does not compile).

    >>> check_url(Sandbox(), "https://x.io/{{ a }")
    Traceback (most recent call last):
    ...
    hooksmith.engine.errors.RenderError: url: line 1: unexpected '}'
    """
    if "{" not in source:
        return
    _compiled(sandbox, source)


def _compiled(sandbox: Sandbox, source: str) -> SandboxTemplate:
    """The URL's template, compiled once per source, each placeholder routed through the
    encoder of its position (the encoders are added to the sandbox first)."""
    if AS_LABEL not in sandbox.environment.filters:
        sandbox.add_writers(_WRITERS)
    return sandbox.compile_template("url", source, field=FIELD, rewrite=rewrite_url)


@lru_cache(maxsize=256)
def as_uri(url: str) -> str:
    """The URL as it goes on the wire: non-ASCII in the host as IDNA, elsewhere percent-encoded
    UTF-8, as browsers and curl send it (placeholder values are encoded already).

    >>> as_uri("https://bücher.example/böse?q=ü")
    'https://xn--bcher-kva.example/b%C3%B6se?q=%C3%BC'
    """
    if url.isascii():
        return url
    scheme, rest = url.split("://", 1)
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.rpartition(":") if "]" not in hostport else ("", "", "")
        if not colon or not port.isdigit():
            host, colon, port = hostport, "", ""
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise RenderError(f"{FIELD}: {host!r} is not a valid host name", field=FIELD) from None
        netloc = f"{userinfo}{at}{ascii_host}{colon}{port}"
    return f"{scheme}://{netloc}{_NON_ASCII.sub(_percent, tail)}"


def _percent(found: re.Match[str]) -> str:
    return quote(found.group(), safe="")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@lru_cache(maxsize=1024)
def host_placeholders(source: str) -> tuple[str, ...]:
    """The names of the variables read by placeholders in the URL's host.

    >>> host_placeholders("https://{{ tenant }}.api.io/{{ id }}")
    ('tenant',)
    """
    environment = Environment()  # parsing only; nothing is rendered with it
    scheme_end = source.find("://")
    if scheme_end < 0:
        return ()
    rest = source[scheme_end + 3 :]
    host_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    names: set[str] = set()
    for expression in re.findall(r"{{(.*?)}}", rest[:host_end], re.DOTALL):
        try:
            names |= meta.find_undeclared_variables(environment.parse("{{" + expression + "}}"))
        except TemplateSyntaxError:
            names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)[:1])
    return tuple(sorted(names))


def rewrite_url(environment: Environment, source: str) -> str:
    """Wrap each placeholder in the encoder of its position, refusing forbidden positions.

    >>> from jinja2 import Environment
    >>> rewrite_url(Environment(), "https://a.io/{{ x }}")
    'https://a.io/{{ ( x )|_hs_url_segment }}'
    """
    segments: list[str | tuple[str, str, str]] = []
    tokens = iter(environment.lex(source))
    for _, kind, value in tokens:
        if kind in ("block_begin", "linestatement_begin"):
            raise RenderError(f"{FIELD}: only {{{{ placeholders }}}} may appear", field=FIELD)
        if kind != "variable_begin":
            segments.append(value if kind == "data" else "")
            continue
        expression, end = read_placeholder(tokens)
        segments.append((value, expression, end))
    flat = [s if isinstance(s, str) else MARK for s in segments]
    out: list[str] = []
    for index, segment in enumerate(segments):
        if isinstance(segment, str):
            out.append(segment)
            continue
        begin, expression, end = segment
        writer = _writer_for("".join(flat[:index]), "".join(flat[index + 1 :]), expression)
        # The lexer only ends a tag outside brackets, so `( … )` holds the whole expression.
        out.append(f"{begin} ({expression})|{writer} {end}")
    return "".join(out)


def _writer_for(before: str, after: str, expression: str) -> str:
    """Classify a placeholder by the literal text around it (scheme://authority/path?q#f)."""
    name = expression.strip()
    if "://" not in before:
        raise RenderError(f"{FIELD}: {{{{ {name} }}}} cannot form the scheme", field=FIELD)
    rest = before.split("://", 1)[1]
    cut = min((rest.find(c) for c in "/?#" if c in rest), default=-1)
    if cut >= 0:
        tail = rest[cut:]
        return AS_COMPONENT if "#" in tail or "?" in tail else AS_SEGMENT
    after_cut = min((after.find(c) for c in "/?#" if c in after), default=len(after))
    host = rest.rpartition("@")[2]
    if "@" in after[:after_cut]:
        problem = "cannot be in the userinfo"
    elif ":" in host or "[" in host:
        problem = "cannot be in the port"
    elif host[-1:] not in ("", ".") or after[:1] not in ("", ".", ":", "/", "?", "#"):
        problem = "must form a whole host label"
    else:
        return AS_LABEL
    raise RenderError(f"{FIELD}: {{{{ {name} }}}} {problem}", field=FIELD)


def _text(value: Any) -> str:
    if isinstance(value, Undefined):
        return str(value)  # empty, and recorded as a warning
    if value is None:
        return ""
    if isinstance(value, bool | Mapping | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _as_label(value: Any) -> str:
    text = _text(value)
    if not DNS_LABEL.fullmatch(text):
        message = f"{FIELD}: a host label must be letters, digits and hyphens (got {text!r})"
        raise RenderError(message, field=FIELD)
    return text


def _as_segment(value: Any) -> str:
    text = quote(_text(value), safe="")
    # A value of only dots would be a dot segment ('..') that walks up the path.
    return "%2E" * len(text) if text and not text.strip(".") else text


def _as_component(value: Any) -> str:
    return quote(_text(value), safe="")


_WRITERS = {AS_LABEL: _as_label, AS_SEGMENT: _as_segment, AS_COMPONENT: _as_component}


def _check_absolute(url: str) -> None:
    problem: str | None = None
    if _UNSAFE.search(url):
        problem = "contains a space or a control character"
    else:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            problem = str(exc)
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problem = "must be an absolute http(s) URL"
    if problem is not None:
        raise RenderError(f"{FIELD}: {problem} (got {url!r})", field=FIELD)


# A URL without placeholders is the webhook's own text: its verdict is remembered (errors,
# which are not cached, are raised again each time).
_check_static = lru_cache(maxsize=256)(_check_absolute)
