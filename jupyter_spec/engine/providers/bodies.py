"""Reply bodies taken as they arrive: decoded on the way (gzip, deflate) and never past a cap.

A small compressed body can inflate to gigabytes. Inflating it in one call holds the event loop
and fills memory before any timeout can fire; here it is inflated a piece at a time, and the
reply fails as `ReplyTooLarge` the moment it passes the cap, as sent or once decoded. Every
transport reads bodies through this: our own connections feed it what llhttp hands them, and the
official client's stream is wrapped in it (`openai.py`).
"""

from __future__ import annotations

import zlib

from jupyter_spec.engine.providers.causes import BrokenReply, ReplyTooLarge

MAX_BODY = 64 * 2**20  # the default cap on a reply's body, as sent and once decompressed (`max_reply_mib`)
PIECE = 2**20  # inflated at a time: memory never runs past the cap by more than this
GZIP_MAGIC = b"\x1f\x8b"
CODINGS = ("", "identity", "gzip", "x-gzip", "deflate")


def size_text(limit: int) -> str:
    return f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit} bytes"


class CappedBody:
    """One reply's body: `feed` what arrives, `take` what is decoded so far, `finish` at its end."""

    def __init__(self, coding: str, limit: int) -> None:
        coding = coding.strip().lower()
        if coding not in CODINGS:
            raise BrokenReply(f"unsupported content coding {coding!r}")
        self.limit = limit
        self.size = 0  # decoded bytes so far
        self.received = 0  # bytes as sent
        self._decoded = bytearray()  # not a list of pieces: a million 1-byte chunks cost a million objects
        self._coding = coding
        self._held = b""  # the first byte of a deflate body, until the second says which kind it is
        self._inflate: zlib._Decompress | None = None
        if coding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.received > self.limit:
            raise ReplyTooLarge(f"the reply is larger than {size_text(self.limit)}")
        if self._coding == "deflate" and self._inflate is None:  # zlib-wrapped, or raw as some servers send it
            data, self._held = self._held + data, b""
            if len(data) < 2:
                self._held = data
                return
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._inflate is None:
            self._add(data)
            return
        try:
            self._inflate_all(data)
        except zlib.error:
            raise BrokenReply("the reply's compressed body is corrupt") from None

    def _inflate_all(self, data: bytes) -> None:
        assert self._inflate is not None
        while True:
            piece = self._inflate.decompress(data, min(PIECE, self.limit - self.size + 1))
            self._add(piece)
            data = self._inflate.unconsumed_tail
            if self._inflate.eof and self._inflate.unused_data:  # another gzip member follows, or garbage
                rest = self._inflate.unused_data
                if self._coding == "deflate" or not GZIP_MAGIC.startswith(rest[:2]):
                    raise BrokenReply("bytes after the reply's compressed body")
                self._inflate, data = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
                continue
            if not data and len(piece) < PIECE:
                return

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise ReplyTooLarge(f"the reply is larger than {size_text(self.limit)} once decompressed")
        self._decoded += data

    def take(self) -> bytes:
        """What is decoded so far and not yet taken."""
        taken = bytes(self._decoded)
        self._decoded.clear()
        return taken

    def finish(self) -> bytes:
        """The rest of the body, once all of it has arrived; a compressed one cut short is broken."""
        if self._held or (self._inflate is not None and not self._inflate.eof and self.received):
            raise BrokenReply("the reply's compressed body is cut short")
        return self.take()
