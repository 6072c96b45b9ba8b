from __future__ import annotations

import json
from typing import Any

import pytest

from hooksmith.engine import (
    InvalidDefinition,
    parse_curl,
    parse_webhook,
    request_as_curl,
    to_curl,
)
from hooksmith.engine.result import HeaderLine, SentRequest

# Commands written by hand in the style of public API docs, with the fields each must give.
REAL_WORLD: dict[str, tuple[str, dict[str, Any]]] = {
    "stripe form post with -u key:": (
        """curl https://api.stripe.com/v1/charges \\
  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \\
  -d amount=2000 \\
  -d currency=usd \\
  -d "description=My First Test Charge (created for API docs)"
""",
        {
            "method": "POST",
            "url": "https://api.stripe.com/v1/charges",
            "auth": {
                "type": "basic",
                "username": "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                "password": "",
            },
            "params": [
                {"key": "amount", "value": "2000"},
                {"key": "currency", "value": "usd"},
                {"key": "description", "value": "My First Test Charge (created for API docs)"},
            ],
            "body": None,
        },
    ),
    "github bearer and accept headers": (
        """curl -L \\
  -H "Accept: application/vnd.github+json" \\
  -H "Authorization: Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a" \\
  -H "X-GitHub-Api-Version: 2022-11-28" \\
  https://api.github.com/repos/OWNER/REPO/issues?state=open&per_page=5""",
        {
            "method": "GET",
            "url": "https://api.github.com/repos/OWNER/REPO/issues",
            "auth": {"type": "bearer", "token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a"},
            "headers": [
                {"key": "Accept", "value": "application/vnd.github+json"},
                {"key": "X-GitHub-Api-Version", "value": "2022-11-28"},
            ],
            "params": [{"key": "state", "value": "open"}, {"key": "per_page", "value": "5"}],
        },
    ),
    "slack json webhook with --data-raw": (
        "curl -X POST -H 'Content-type: application/json' "
        """--data-raw '{"text":"Hello, World!"}' https://hooks.slack.com/services/T00/B00/XXX""",
        {
            "method": "POST",
            "url": "https://hooks.slack.com/services/T00/B00/XXX",
            "headers": [],
            "body": '{"text":"Hello, World!"}',
        },
    ),
    "twilio --data-urlencode": (
        """curl -X POST "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json" \\
--data-urlencode "Body=Hi there & welcome, 100% sure" \\
--data-urlencode "From=+15557122661" \\
--data-urlencode "To=+15558675310" \\
-u AC123:your_auth_token""",
        {
            "method": "POST",
            "auth": {"type": "basic", "username": "AC123", "password": "your_auth_token"},
            "params": [
                {"key": "Body", "value": "Hi there & welcome, 100% sure"},
                {"key": "From", "value": "+15557122661"},
                {"key": "To", "value": "+15558675310"},
            ],
        },
    ),
    "-G search moves data into params": (
        """curl -G https://api.example.com/v2/search \\
  --data-urlencode "q=name:\\"Jane Doe\\" AND city:Berlin" \\
  -d limit=10 -H "Authorization: Bearer abc.def.ghi\"""",
        {
            "method": "GET",
            "params": [
                {"key": "q", "value": 'name:"Jane Doe" AND city:Berlin'},
                {"key": "limit", "value": "10"},
            ],
            "auth": {"type": "bearer", "token": "abc.def.ghi"},
            "body": None,
        },
    ),
    "--json sets the body and Accept": (
        """curl --json '{"name": "hooksmith", "tags": ["a", "b"]}' https://api.example.com/items""",
        {
            "method": "POST",
            "headers": [{"key": "Accept", "value": "application/json"}],
            "body": '{"name": "hooksmith", "tags": ["a", "b"]}',
        },
    ),
    "windows cmd continuations with curl.exe": (
        'curl.exe -X PUT ^\r\n  "https://api.example.com/users/42" ^\r\n'
        '  -H "Content-Type: application/json" ^\r\n  -d "{\\"role\\": \\"admin\\"}"',
        {"method": "PUT", "url": "https://api.example.com/users/42", "body": '{"role": "admin"}'},
    ),
    "single quotes holding an apostrophe, basic header": (
        "curl 'https://api.example.com/notes' -H 'Authorization: Basic dXNlcjpwYXNz' "
        """-d '{"text": "it'"'"'s done"}' -sS --compressed --max-time 30""",
        {
            "auth": {"type": "basic", "username": "user", "password": "pass"},
            "body": '{"text": "it\'s done"}',
            "timeout": 30.0,
        },
    ),
    "combined short flags and -XPATCH": (
        "curl -sSLk -XPATCH https://api.example.com/tickets/7 -H 'X-Api-Key: k-123' "
        """-d '{"status": "solved"}' -A hooksmith/1.0""",
        {
            "method": "PATCH",
            "headers": [
                {"key": "X-Api-Key", "value": "k-123"},
                {"key": "User-Agent", "value": "hooksmith/1.0"},
            ],
        },
    ),
    "head request with $ prompt and a dangling continuation": (
        "$ curl -I https://status.example.com/health \\\n",
        {"method": "HEAD", "url": "https://status.example.com/health"},
    ),
    "delete with a template placeholder": (
        """curl --request DELETE \\
     --url 'https://{{ subdomain }}.zendesk.com/api/v2/tickets/{{ ticketId }}.json' \\
     --user 'agent@example.com/token:6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv'""",
        {
            "method": "DELETE",
            "url": "https://{{ subdomain }}.zendesk.com/api/v2/tickets/{{ ticketId }}.json",
            "auth": {
                "type": "basic",
                "username": "agent@example.com/token",
                "password": "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv",
            },
        },
    ),
    "multi-line json body in single quotes": (
        """curl https://api.openai.example/v1/chat \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-x",
    "messages": [{"role": "user", "content": "Say \\"hi\\" \\\\n twice"}]
  }'""",
        {
            "method": "POST",
            "auth": {"type": "bearer", "token": "$OPENAI_API_KEY"},
            "headers": [],
            "body": '{\n    "model": "gpt-x",\n    "messages": [{"role": "user", '
            '"content": "Say \\"hi\\" \\\\n twice"}]\n  }',
        },
    ),
    "browser copy as cURL with $'' quoting": (
        r"""curl 'https://api.example.com/v1/notes' \
  -H 'accept: application/json' \
  -H 'content-type: application/json' \
  --data-raw $'{"text":"it\'s caf\u00e9 \\\\ done\n"}' \
  --compressed""",
        {
            "method": "POST",
            "headers": [{"key": "accept", "value": "application/json"}],
            "body": '{"text":"it\'s café \\\\ done\n"}',
        },
    ),
    "plain text data is the body": (
        "curl -H 'Content-Type: text/plain' -d 'ping' https://api.example.com/echo",
        {"body": "ping", "params": [], "headers": [{"key": "Content-Type", "value": "text/plain"}]},
    ),
}


@pytest.mark.parametrize("name", list(REAL_WORLD))
def test_real_world_command_imports_and_round_trips(name: str) -> None:
    command, expected = REAL_WORLD[name]
    definition = parse_curl(command)
    for field, value in expected.items():
        assert definition[field] == value, field
    webhook = parse_webhook(definition)
    assert parse_curl(to_curl(webhook, reveal_secrets=True)) == definition


def test_export_hides_secrets_behind_placeholders() -> None:
    bearer = parse_webhook(parse_curl("curl -H 'Authorization: Bearer s3cr3t' https://a.example"))
    basic = parse_webhook(parse_curl("curl -u ann:pa55 https://a.example"))
    assert "s3cr3t" not in to_curl(bearer)
    assert '"$HOOKSMITH_TOKEN"' in to_curl(bearer)
    assert "pa55" not in to_curl(basic)
    assert to_curl(basic).endswith("""-u ann:"$HOOKSMITH_PASSWORD\"""")


@pytest.mark.parametrize(
    "value",
    ["'; rm -rf / #", '"$(id)"', "`id`", "a\\'b", "line\nbreak $HOME", "{{ x }} & $(y)"],
)
def test_a_value_never_leaves_its_quotes(value: str) -> None:
    webhook = parse_webhook(
        {
            "name": "n",
            "method": "POST",
            "url": "https://api.example.com/x",
            "headers": [{"key": "X-Note", "value": value.replace("\n", " ")}],
            "params": [{"key": "q", "value": value}],
            "body": '{"v": ' + json.dumps(value) + "}",
        }
    )
    again = parse_curl(to_curl(webhook))
    assert again["headers"][0]["value"] == value.replace("\n", " ")
    assert again["params"] == [{"key": "q", "value": value}]
    assert again["body"] == webhook.body


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("curl 'https://a.example", "quote"),
        ('curl https://a.example -H "X-A: 1\r\nX-B: 2"', "line break"),
        ("curl https://a.example --proxy http://p:1", "--proxy"),
        ("curl -Z https://a.example", "-Z"),
        ("curl -d @secrets.json https://a.example", "reads a file"),
        ("wget https://a.example", "starts with curl"),
        ("curl -X POST", "no URL"),
        ("curl https://a.example https://b.example", "more than one URL"),
        ("curl " + "x" * (1024 * 1024), "longer than"),
        ("curl https://a.example " + "-H 'X-A: 1' \\\n" * 6000, "longer than"),
        ("curl -H", "needs a value"),
        ("curl --json '{}' -d a=1 https://a.example", "not both"),
    ],
)
def test_hostile_input_names_the_curl_field(command: str, words: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_curl(command)
    assert caught.value.field == "curl"
    assert words in caught.value.message


def test_a_definition_rule_names_its_field() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_curl("curl -H 'Host: evil.example' https://a.example")
    assert caught.value.field == "headers[0].key"


def test_max_time_over_a_minute_keeps_the_default() -> None:
    assert "timeout" not in parse_curl("curl -m 120 https://a.example")


def test_a_request_as_sent_keeps_redacted_headers_as_placeholders() -> None:
    sent = SentRequest(
        method="POST",
        url="https://api.example.com/o?q=a%20b",
        headers=[
            HeaderLine(key="Authorization", value="[redacted]"),
            HeaderLine(key="X-Api-Key", value="[redacted]"),
            HeaderLine(key="Content-Length", value="9"),
            HeaderLine(key="X-Trace", value="t-1"),
        ],
        body='{"a": 1}',
    )
    command = request_as_curl(sent)
    assert "Content-Length" not in command
    assert "-H 'X-Api-Key: '\"$HOOKSMITH_SECRET\"" in command
    again = parse_curl(command)
    assert again["params"] == [{"key": "q", "value": "a b"}]
    assert again["body"] == '{"a": 1}'
    assert again["auth"] == {"type": "none"}
    assert {"key": "Authorization", "value": "$HOOKSMITH_AUTHORIZATION"} in again["headers"]
