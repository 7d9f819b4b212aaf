#!/usr/bin/python3
"""Writes a RESP stream that builds one collection workload, for `redis-cli --pipe`.

Used by the types-memory section of bench/compare. Each case builds KEYS keys of
one collection type with a fixed number of elements each, sized so that Redis 7.0
picks the encoding named in the case (with its default *-max-listpack-* and
set-max-intset-entries limits):

  hash-small     KEYS hashes h:<n> of 100 fields f0..f99, 8-byte values   (listpack)
  hash-large     KEYS hashes hb:<n> of 100,000 fields f0.., 8-byte values (hashtable)
  list           KEYS lists l:<n> of 1,000 8-byte elements                 (quicklist)
  set-hashtable  KEYS sets s:<n> of 1,000 8-byte non-integer members      (hashtable)
  set-intset     KEYS sets i:<n> of 100 integer members                   (intset)
  zset-small     KEYS sorted sets z:<n> of 100 8-byte members             (listpack)
  zset-large     KEYS sorted sets zl:<n> of 1,000 8-byte members          (skiplist)

Every element is added by a multi-element HSET/RPUSH/SADD/ZADD of at most 1,000
elements, so one key takes one command (100,000-field hashes take 100).

Usage: gen_types.py CASE KEYS     (prints the number of commands on stderr)
"""

import sys

MAX_ARGS_PER_COMMAND = 1000

# case -> (command, key prefix, elements per key, encoding Redis 7.0 uses)
CASES = {
    "hash-small": ("HSET", "h:", 100, "listpack"),
    "hash-large": ("HSET", "hb:", 100_000, "hashtable"),
    "list": ("RPUSH", "l:", 1_000, "quicklist"),
    "set-hashtable": ("SADD", "s:", 1_000, "hashtable"),
    "set-intset": ("SADD", "i:", 100, "intset"),
    "zset-small": ("ZADD", "z:", 100, "listpack"),
    "zset-large": ("ZADD", "zl:", 1_000, "skiplist"),
}

VALUE = b"v" * 8


def KeyName(case, index):
    return (CASES[case][1] + "%d" % index).encode()


def Bulk(arg):
    return b"$%d\r\n%s\r\n" % (len(arg), arg)


def Elements(case, index, first, count):
    """RESP-encoded arguments for elements [first, first + count) of key `index`."""
    if case.startswith("hash"):
        # Field names f0..f99 (or f0..f99999): what an application with fixed field
        # names stores; 8-byte values.
        return b"".join(Bulk(b"f%d" % j) + Bulk(VALUE) for j in range(first, first + count))
    if case == "list":
        return b"".join(Bulk(VALUE) for _ in range(count))
    if case == "set-hashtable":
        # 8-byte members that do not parse as integers, distinct within the set.
        return b"".join(Bulk(b"m%07d" % j) for j in range(first, first + count))
    if case == "set-intset":
        # Distinct integers up to ~1,000,000: 32-bit intset entries in Redis.
        return b"".join(Bulk(b"%d" % (index * 100 + j)) for j in range(first, first + count))
    if case.startswith("zset"):
        return b"".join(Bulk(b"%d" % j) + Bulk(b"m%07d" % j)
                        for j in range(first, first + count))
    raise ValueError("unknown case %r" % case)


def Stream(case, keys, out):
    """Writes the stream for `keys` keys to the binary file `out`; returns the command count."""
    command, _, per_key, _ = CASES[case]
    args_per_element = 2 if case.startswith(("hash", "zset")) else 1
    commands = 0
    # Keys with the same element count produce the same element arguments, except for
    # intsets, whose members depend on the key: render each chunk once where possible.
    cache = {}
    for index in range(keys):
        key = KeyName(case, index)
        for first in range(0, per_key, MAX_ARGS_PER_COMMAND):
            count = min(MAX_ARGS_PER_COMMAND, per_key - first)
            if case == "set-intset":
                body = Elements(case, index, first, count)
            else:
                body = cache.get(first)
                if body is None:
                    body = cache[first] = Elements(case, index, first, count)
            out.write(b"*%d\r\n%s%s%s" % (2 + count * args_per_element, Bulk(command.encode()),
                                          Bulk(key), body))
            commands += 1
    return commands


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.stderr.write(__doc__)
        return 2
    commands = Stream(sys.argv[1], int(sys.argv[2]), sys.stdout.buffer)
    sys.stdout.flush()
    sys.stderr.write("%d\n" % commands)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
