"""Pack files into the blob the test firmware reads (main.c's layout):
"UFS1", then per file u32 name length, u32 data length, name, data (each padded
to 4 bytes), ended by a zero name length.

    python mkfs.py OUT NAME=PATH ...     (NAME as the board sees it, e.g. umqtt/simple.mpy)
"""

import struct
import sys


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def pack(files):
    """files: iterable of (name, bytes) -> the blob."""
    out = [b"UFS1"]
    for name, data in files:
        n = name.encode()
        out.append(struct.pack("<II", len(n), len(data)) + pad(n) + pad(data))
    out.append(struct.pack("<II", 0, 0))
    return b"".join(out)


if __name__ == "__main__":
    items = []
    for arg in sys.argv[2:]:
        name, _, path = arg.partition("=")
        with open(path, "rb") as f:
            items.append((name, f.read()))
    with open(sys.argv[1], "wb") as f:
        f.write(pack(items))
