"""What leaves a request: keys redacted, text made storable."""

from __future__ import annotations

from jupyter_spec.core.sanitize import REDACTED, redact, unicode_safe


def test_the_key_and_anything_shaped_like_one_are_redacted() -> None:
    key = "my-own-gateway-token-123"
    echoed = f'HTTP 401: invalid token {key}; Authorization: Bearer {key}; "api_key": "abcdefgh12345678"'
    cleaned = redact(echoed, [key, None, ""])
    assert key not in cleaned and "abcdefgh12345678" not in cleaned and cleaned.count(REDACTED) == 3
    assert (
        redact("Incorrect API key provided: sk-proj-AbCdEf0123456789xyz.") == f"Incorrect API key provided: {REDACTED}."
    )
    assert redact("HTTP 500: upstream timed out") == "HTTP 500: upstream timed out"  # nothing else touched


def test_lone_surrogates_become_replacement_characters() -> None:
    assert unicode_safe("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert unicode_safe("emoji 🙂 stays") == "emoji 🙂 stays"
