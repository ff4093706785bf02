"""URLs shown to anyone are cut to ``scheme://host:port``; outside messages lose their URLs."""

from __future__ import annotations

from node.redact import REDACTED, redact_url, scrub, url_secrets


def test_redact_url_keeps_scheme_host_and_port_only() -> None:
    assert (
        redact_url("https://user:pw@mainnet.example.io/v3/KEY?apikey=K2#x")
        == "https://mainnet.example.io:443"
    )
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert redact_url("HTTP://[::1]:8545/rpc") == "http://[::1]:8545"
    assert redact_url("not a url") == REDACTED
    assert redact_url("http://host:notaport/") == REDACTED


def test_scrub_removes_urls_and_the_bare_parts_of_a_secret_url() -> None:
    url = "http://127.0.0.1:28599/v3/SUPERSECRETKEY123?key=Q"
    said = f"429 Client Error: Too Many Requests for url: {url}; Max retries exceeded with url: /v3/SUPERSECRETKEY123"
    clean = scrub(said, *url_secrets(url))
    assert "SUPERSECRETKEY123" not in clean and "key=Q" not in clean
    assert "http://127.0.0.1:28599" in clean
    assert url_secrets("http://127.0.0.1:8545/") == ("http://127.0.0.1:8545/",)
