"""Reply bodies decoded as they arrive, however the pieces fall, and never past the cap."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_spec.engine.providers.bodies import CappedBody
from jupyter_spec.engine.providers.causes import BrokenReply, ReplyTooLarge

TEXT = b'{"choices": [{"message": {"content": "' + b"tide tables " * 200 + b'"}}]}'


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODED = {
    "identity": ("", TEXT),
    "gzip": ("gzip", gzip.compress(TEXT)),
    "deflate": ("deflate", zlib.compress(TEXT)),
    "raw-deflate": ("deflate", raw_deflate(TEXT)),
    "two-gzip-members": ("gzip", gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])),
}


def read(coding: str, pieces: list[bytes], limit: int = 2**20) -> bytes:
    body = CappedBody(coding, limit)
    taken = b""
    for piece in pieces:
        body.feed(piece)
        taken += body.take()
    return taken + body.finish()


@pytest.mark.parametrize("name", list(ENCODED))
@given(cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12))
def test_a_body_decodes_the_same_however_it_is_cut(name: str, cuts: list[int]) -> None:
    coding, data = ENCODED[name]
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    assert read(coding, [data[a:b] for a, b in itertools.pairwise(edges)]) == TEXT


def test_a_raw_deflate_body_whose_first_piece_is_one_byte() -> None:
    data = raw_deflate(TEXT)
    assert read("deflate", [data[:1], data[1:2], data[2:]]) == TEXT


@pytest.mark.parametrize(
    ("coding", "data", "why"),
    [
        ("gzip", gzip.compress(TEXT) + b"garbage", "bytes after"),
        ("gzip", gzip.compress(TEXT)[:-5], "cut short"),
        ("deflate", zlib.compress(TEXT) + b"x", "bytes after"),
        ("gzip", b"not gzip at all", "corrupt"),
        ("deflate", b"\x01", "cut short"),
    ],
)
def test_a_body_that_is_not_what_its_coding_says_is_broken(coding: str, data: bytes, why: str) -> None:
    with pytest.raises(BrokenReply, match=why):
        read(coding, [data])


@pytest.mark.parametrize("coding", ["br", "gzip, gzip", "compress"])
def test_a_coding_we_cannot_decode_is_refused(coding: str) -> None:
    with pytest.raises(BrokenReply, match="unsupported content coding"):
        CappedBody(coding, 100)


def test_the_cap_is_exact_as_sent_and_once_inflated() -> None:
    assert read("", [b"x" * 100], limit=100) == b"x" * 100
    with pytest.raises(ReplyTooLarge, match=r"larger than 100 bytes$"):
        read("", [b"x" * 101], limit=100)
    packed = gzip.compress(b"\0" * 101)
    assert len(packed) < 100
    with pytest.raises(ReplyTooLarge, match="once decompressed"):
        read("gzip", [packed], limit=100)
    assert read("gzip", [gzip.compress(b"\0" * 100)], limit=100) == b"\0" * 100
