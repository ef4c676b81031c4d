#!/usr/bin/env python3
"""redis-gen.py - the data set of t/perf/redis-bench.sh, as redis protocol
for `redis-cli --pipe`.

    python3 t/perf/redis-gen.py [--keys N] [--ttl S] [--seed N] | redis-cli -p P --pipe

N keys (1,000,000): 70% strings of 10 to 100 bytes, 10% hashes of 10 fields,
10% lists of 10 elements, 5% sets of 10 members, 5% sorted sets of 10
members; 10% of the keys of each type get an expiry S seconds (3600) away,
far enough not to fire during a run. The same N and seed give the same data.
--slots LO-HI writes only the keys whose Redis Cluster slot is in that
range, for `redis-cli --pipe` to the primary that owns it.
Only the standard library: no redis module is needed to write the protocol.
"""

import argparse
import random
import sys

# Types by key number, in blocks of 20: 14 strings, 2 hashes, 2 lists, 1
# set, 1 sorted set. Exact shares at any N that is a multiple of 20, and
# the types interleaved, so no part of the keyspace is all one type.
PATTERN = ["string"] * 14 + ["hash"] * 2 + ["list"] * 2 + ["set", "zset"]
ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slots", default=None)
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.slots.split("-")) if args.slots else (0, 16383)
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021 if c & 0x8000 else c << 1) & 0xffff
        table.append(c)

    def slot(key):
        c = 0
        for b in key:
            c = ((c << 8) ^ table[((c >> 8) ^ b) & 0xff]) & 0xffff
        return c & 0x3fff

    rng = random.Random(args.seed)
    # Values are slices of one random pool at random offsets: random
    # enough that DUMP's LZF compression has little to find, and far
    # cheaper than drawing every byte.
    pool = bytes(rng.choice(ALNUM) for _ in range(1 << 16))
    plen = len(pool) - 100
    randint = rng.randint
    out = sys.stdout.buffer
    buf = []
    ttl = b"%d" % args.ttl

    def value(lo, hi):
        off = randint(0, plen)
        return pool[off:off + randint(lo, hi)]

    def cmd(*argv):
        buf.append(b"*%d\r\n" % len(argv))
        for a in argv:
            buf.append(b"$%d\r\n%s\r\n" % (len(a), a))

    for i in range(args.keys):
        kind = PATTERN[i % 20]
        key = b"%s:%d" % (kind.encode(), i)
        if args.slots and not lo <= slot(key) <= hi:
            continue
        if kind == "string":
            cmd(b"SET", key, value(10, 100))
        elif kind == "hash":
            argv = [b"HSET", key]
            for j in range(10):
                argv += [b"field%d" % j, value(10, 30)]
            cmd(*argv)
        elif kind == "list":
            cmd(b"RPUSH", key, *[value(10, 30) for _ in range(10)])
        elif kind == "set":
            # The number in front keeps the 10 members distinct.
            cmd(b"SADD", key,
                *[b"%d:%s" % (j, value(10, 30)) for j in range(10)])
        else:
            argv = [b"ZADD", key]
            for j in range(10):
                argv += [b"%d" % randint(0, 1000000),
                         b"%d:%s" % (j, value(10, 30))]
            cmd(*argv)
        # Every tenth block of each type, staggered: 10% of each type.
        if (i // 20 + i) % 10 == 0:
            cmd(b"EXPIRE", key, ttl)
        if len(buf) > 65536:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    out.flush()


if __name__ == "__main__":
    main()
