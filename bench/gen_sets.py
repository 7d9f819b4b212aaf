#!/usr/bin/python3
"""Writes a RESP stream of N distinct `SET key:<12 digits> <value>` commands to stdout.

Used by bench/compare to load servers through `redis-cli --pipe`: every key is
distinct (unlike `redis-benchmark -r`, which draws keys at random), keys are 16
bytes (`key:` + 12 digits, the same shape redis-benchmark uses) and values are
VALUE_SIZE bytes.

Speed matters because the generator shares a core with the loader: the stream
is built from a pre-rendered block of 10,000 commands whose 8 high key digits
are patched per block, so the cost per key is a memcpy, not a format call.

Usage: gen_sets.py COUNT [VALUE_SIZE] [FIRST]
"""

import sys

BLOCK = 10_000  # keys per pre-rendered block; the low 4 digits vary inside it
HIGH_MARK = b"HHHHHHHH"  # placeholder for the 8 high digits of the key number


def Block(value: bytes) -> bytes:
    parts = []
    for low in range(BLOCK):
        key = b"key:" + HIGH_MARK + b"%04d" % low
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                     % (len(key), key, len(value), value))
    return b"".join(parts)


def main() -> int:
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    count = int(sys.argv[1])
    value_size = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if first % BLOCK != 0:
        sys.stderr.write("FIRST must be a multiple of %d\n" % BLOCK)
        return 2
    value = (b"v" * value_size)
    template = Block(value)
    command_len = len(template) // BLOCK
    out = sys.stdout.buffer
    start_block = first // BLOCK
    full_blocks, rest = divmod(count, BLOCK)
    for b in range(start_block, start_block + full_blocks):
        out.write(template.replace(HIGH_MARK, b"%08d" % b))
    if rest:
        block = template[:rest * command_len]
        out.write(block.replace(HIGH_MARK, b"%08d" % (start_block + full_blocks)))
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
