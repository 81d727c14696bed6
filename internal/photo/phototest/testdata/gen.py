#!/usr/bin/env python3
"""Regenerates the WebP test files with the system's libwebp (no PIL needed):
96x64, left half red, right half blue, a green band on top; alpha.webp is
transparent on its right quarter. Run from this directory."""
import ctypes

lib = ctypes.CDLL("libwebp.so.7")
W, H = 96, 64


def pixels(alpha):
    n = 4 if alpha else 3
    buf = bytearray(W * H * n)
    for y in range(H):
        for x in range(W):
            i = (y * W + x) * n
            r, g, b = (200, 30, 30) if x < W // 2 else (30, 30, 200)
            if y < 8:
                r, g, b = 30, 180, 30
            buf[i:i + 3] = bytes((r, g, b))
            if alpha:
                buf[i + 3] = 255 if x < W * 3 // 4 else 0
    return bytes(buf)


def enc(fn, name, alpha, *q):
    n = 4 if alpha else 3
    out = ctypes.POINTER(ctypes.c_uint8)()
    f = getattr(lib, fn)
    f.restype = ctypes.c_size_t
    size = f(pixels(alpha), W, H, W * n, *q, ctypes.byref(out))
    assert size > 0, name
    with open(name, "wb") as fh:
        fh.write(ctypes.string_at(out, size))
    lib.WebPFree(out)


enc("WebPEncodeRGB", "lossy.webp", False, ctypes.c_float(75))
enc("WebPEncodeLosslessRGB", "lossless.webp", False)
enc("WebPEncodeRGBA", "alpha.webp", True, ctypes.c_float(75))
