"""Just enough PNG decoding (8-bit RGB/RGBA, not interlaced) to check a screenshot's pixels."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # PNG colour type → samples per pixel


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, line: NDArray[np.uint8], prev: NDArray[np.uint8], bpp: int) -> None:
    if kind == 1:  # Sub: a running sum per channel
        pixels = line.reshape(-1, bpp).astype(np.int64)
        line[:] = (np.cumsum(pixels, axis=0) % 256).astype(np.uint8).reshape(-1)
    elif kind == 2:  # Up
        line[:] = line + prev
    elif kind in (3, 4):  # Average, Paeth: each byte needs the one before it
        out = [int(v) for v in line]
        for i in range(len(out)):
            left = out[i - bpp] if i >= bpp else 0
            up, corner = int(prev[i]), int(prev[i - bpp]) if i >= bpp else 0
            guess = (left + up) // 2 if kind == 3 else _paeth(left, up, corner)
            out[i] = (out[i] + guess) % 256
        line[:] = out


def decode(data: bytes) -> NDArray[np.uint8]:
    """The image as a (height, width, 3) RGB array."""
    assert data.startswith(SIGNATURE), "not a PNG"
    pos, idat, header = len(SIGNATURE), bytearray(), b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0 and colour in CHANNELS, "unsupported PNG"
    bpp = CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, -1)
    image = raw[:, 1:].copy()
    prev = np.zeros(width * bpp, dtype=np.uint8)
    for y in range(height):
        _unfilter(int(raw[y, 0]), image[y], prev, bpp)
        prev = image[y]
    return image.reshape(height, width, bpp)[:, :, :3]
