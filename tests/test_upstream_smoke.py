from __future__ import annotations

import urllib.request

from tests.upstream import Upstream


def test_upstream_echoes_over_loopback(upstream: Upstream) -> None:
    with urllib.request.urlopen(upstream.url("/echo?a=1")) as reply:
        assert reply.status == 200
    assert upstream.received[0]["query"] == [("a", "1")]
