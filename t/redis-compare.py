#!/usr/bin/python3
"""redis-compare.py - compare two Redis keyspaces, key by key: the tests' oracle.

usage: redis-compare.py SRC_URL DST_URL [--match PAT] [--types T,T...]
                        [--ttl-tolerance MS] [--ignore-ttl] [--ttl-dropped]
                        [--digest]

Reads both keyspaces in full (SCAN, then every value) and prints one line
for each difference:
    'KEY': missing on the target | only on the target | type X, Y
    'KEY': string differs (length A, B; first difference at byte N)
    'KEY': hash field 'F' ... | list element N ... | set member ...
    'KEY': zset member 'M' score A, B (scores compared as IEEE doubles,
           so -0 is not 0, inf is inf)
    'KEY': stream entry ID ... | stream last-generated-id ... |
           group 'G' last-delivered-id ... | group 'G' pending ID ...
    'KEY': TTL A ms, B ms (more than the tolerance apart) | persistent on
           the source, TTL B ms on the target | ...
and at the end "compared N keys: M differences", M the number of keys
that differ (a key may have several lines). Exits 0 when the two
are the same, 1 when they differ, 2 on an error (cannot connect...).

--match PAT and --types select the keys on both sides (SCAN MATCH, TYPE).
--ttl-tolerance MS: TTLs may differ by this much (default 1000).
--ignore-ttl: TTLs are not compared. --ttl-dropped: every target key must
be persistent, whatever the source's TTL.
--digest: compare DEBUG DIGEST of the two whole servers instead (every
database, TTLs as absolute times; the servers need enable-debug-command).

Use /usr/bin/python3: it has the redis module (python3-redis).
"""

import argparse
import struct
import sys

import redis

SMALL = 10000      # collections up to this many elements are read at once
CHUNK = 10000      # bigger ones in chunks of this many
BATCH = 500        # keys per pipelined round trip


def qkey(b):
    """A key or member for a message: quoted, non-printable bytes as \\xHH."""
    if isinstance(b, int):
        b = str(b).encode()
    out = []
    for c in b:
        if c == 0x27 or c == 0x5c:
            out.append("\\" + chr(c))
        elif 0x20 <= c < 0x7f:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    s = "".join(out)
    if len(s) > 80:
        s = s[:80] + "..."
    return "'" + s + "'"


def connect(url):
    r = redis.Redis.from_url(url, socket_timeout=120, socket_connect_timeout=10)
    # Raw replies for every command: bytes as the server sent them.
    r.response_callbacks.clear()
    r.ping()
    return r


def scan_keys(r, match):
    keys = set()
    cursor = b"0"
    while True:
        args = ["SCAN", cursor, "COUNT", 1000]
        if match is not None:
            args[2:2] = ["MATCH", match]
        cursor, batch = r.execute_command(*args)
        keys.update(batch)
        if cursor in (b"0", 0, "0"):
            return keys


def batches(seq, n=BATCH):
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def key_types(r, keys):
    """{key: type} for the keys that still exist."""
    out = {}
    for b in batches(sorted(keys), 2000):
        p = r.pipeline(transaction=False)
        for k in b:
            p.execute_command("TYPE", k)
        for k, t in zip(b, p.execute()):
            t = t.decode() if isinstance(t, bytes) else str(t)
            if t != "none":
                out[k] = t
    return out


def show(v):
    """A reply for a message: bytes as text, lists and tuples inside."""
    if isinstance(v, bytes):
        return v.decode(errors="backslashreplace")
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(show(x) for x in v) + ")"
    return str(v)


def fbits(score):
    """A zset score as the bits of its double: -0 is not 0."""
    return struct.pack(">d", float(score))


LEN_CMD = {"string": "STRLEN", "hash": "HLEN", "list": "LLEN",
           "set": "SCARD", "zset": "ZCARD", "stream": "XLEN"}


def pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def as_dict(flat):
    d = {}
    for k, v in pairs(flat):
        d[k.decode() if isinstance(k, bytes) else k] = v
    return d


class Compare:
    def __init__(self, src, dst, args):
        self.src = src
        self.dst = dst
        self.args = args
        self.diffs = 0      # lines
        self.bad = set()    # keys that differ
        self.shown = 0

    def diff(self, key, msg):
        self.diffs += 1
        self.bad.add(key)
        if self.shown < 200:
            print("%s: %s" % (qkey(key), msg))
            self.shown += 1

    # Small values: read whole, in pipelines.

    def small_cmds(self, t, k):
        if t == "string":
            return [("GET", k)]
        if t == "hash":
            return [("HGETALL", k)]
        if t == "list":
            return [("LRANGE", k, 0, -1)]
        if t == "set":
            return [("SMEMBERS", k)]
        if t == "zset":
            return [("ZRANGE", k, 0, -1, "WITHSCORES")]
        if t == "stream":
            return [("XRANGE", k, "-", "+"), ("XINFO", "STREAM", k),
                    ("XINFO", "GROUPS", k)]
        raise SystemExit("unknown type %s of %s" % (t, qkey(k)))

    def compare_small(self, t, k, a, b):
        if t == "string":
            self.cmp_string(k, a[0], b[0])
        elif t == "hash":
            self.cmp_hash(k, dict(pairs(a[0])), dict(pairs(b[0])))
        elif t == "list":
            self.cmp_list(k, a[0], b[0], 0)
        elif t == "set":
            self.cmp_set(k, set(a[0]), set(b[0]))
        elif t == "zset":
            self.cmp_zset(k, pairs(a[0]), pairs(b[0]), 0)
        elif t == "stream":
            self.cmp_stream_entries(k, a[0], b[0])
            self.cmp_stream_meta(k, a[1], b[1], a[2], b[2])

    def cmp_string(self, k, a, b):
        if a == b:
            return
        if a is None or b is None:
            self.diff(k, "string gone while comparing")
            return
        n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                 min(len(a), len(b)))
        self.diff(k, "string differs (length %d, %d; first difference at byte %d)"
                  % (len(a), len(b), n))

    def cmp_hash(self, k, a, b):
        if a == b:
            return
        for f in sorted(set(a) | set(b)):
            if f not in b:
                self.diff(k, "hash field %s missing on the target" % qkey(f))
            elif f not in a:
                self.diff(k, "hash field %s only on the target" % qkey(f))
            elif a[f] != b[f]:
                self.diff(k, "hash field %s value %s, %s" % (qkey(f), qkey(a[f]), qkey(b[f])))

    def cmp_list(self, k, a, b, base):
        if a == b:
            return
        for i in range(min(len(a), len(b))):
            if a[i] != b[i]:
                self.diff(k, "list element %d %s, %s" % (base + i, qkey(a[i]), qkey(b[i])))
                return

    def cmp_set(self, k, a, b):
        if a == b:
            return
        for m in sorted(a - b)[:5]:
            self.diff(k, "set member %s missing on the target" % qkey(m))
        for m in sorted(b - a)[:5]:
            self.diff(k, "set member %s only on the target" % qkey(m))

    def cmp_zset(self, k, a, b, base):
        for i in range(min(len(a), len(b))):
            (ma, sa), (mb, sb) = a[i], b[i]
            if ma != mb:
                self.diff(k, "zset element %d: member %s, %s" % (base + i, qkey(ma), qkey(mb)))
                return
            if fbits(sa) != fbits(sb):
                self.diff(k, "zset member %s score %s, %s"
                          % (qkey(ma), sa.decode(), sb.decode()))
                return

    def cmp_stream_entries(self, k, a, b):
        if a == b:
            return
        ia = {e[0]: e[1] for e in a}
        ib = {e[0]: e[1] for e in b}
        for eid in sorted(set(ia) | set(ib), key=lambda x: tuple(map(int, x.split(b"-")))):
            if eid not in ib:
                self.diff(k, "stream entry %s missing on the target" % eid.decode())
                return
            if eid not in ia:
                self.diff(k, "stream entry %s only on the target" % eid.decode())
                return
            if ia[eid] != ib[eid]:
                self.diff(k, "stream entry %s fields differ" % eid.decode())
                return

    def cmp_stream_meta(self, k, info_a, info_b, groups_a, groups_b):
        ia = as_dict(info_a)
        ib = as_dict(info_b)
        for f in ("length", "last-generated-id", "max-deleted-entry-id",
                  "entries-added", "recorded-first-entry-id", "groups"):
            if ia.get(f) != ib.get(f):
                self.diff(k, "stream %s %s, %s" % (f, show(ia.get(f)), show(ib.get(f))))
        ga = {as_dict(g)["name"]: as_dict(g) for g in groups_a}
        gb = {as_dict(g)["name"]: as_dict(g) for g in groups_b}
        for name in sorted(set(ga) | set(gb)):
            if name not in gb:
                self.diff(k, "stream group %s missing on the target" % qkey(name))
                continue
            if name not in ga:
                self.diff(k, "stream group %s only on the target" % qkey(name))
                continue
            for f in ("consumers", "pending", "last-delivered-id", "entries-read"):
                if ga[name].get(f) != gb[name].get(f):
                    self.diff(k, "stream group %s %s %s, %s"
                              % (qkey(name), f, show(ga[name].get(f)), show(gb[name].get(f))))
            self.cmp_group_detail(k, name)

    def group_detail(self, r, k, name):
        cons = r.execute_command("XINFO", "CONSUMERS", k, name)
        consumers = sorted((as_dict(c)["name"], as_dict(c)["pending"]) for c in cons)
        pending = []
        start = "-"
        while True:
            res = r.execute_command("XPENDING", k, name, start, "+", CHUNK)
            # id, consumer, idle ms, times delivered
            pending.extend((e[0], e[1], e[3]) for e in res)
            if len(res) < CHUNK:
                break
            start = "(" + res[-1][0].decode()
        return consumers, pending

    def cmp_group_detail(self, k, name):
        ca, pa = self.group_detail(self.src, k, name)
        cb, pb = self.group_detail(self.dst, k, name)
        if ca != cb:
            self.diff(k, "stream group %s consumers (name, pending) %s, %s"
                      % (qkey(name), show(ca), show(cb)))
        if pa != pb:
            da = {e[0]: e[1:] for e in pa}
            db = {e[0]: e[1:] for e in pb}
            for eid in sorted(set(da) | set(db)):
                if da.get(eid) != db.get(eid):
                    self.diff(k, "stream group %s pending entry %s (consumer, times "
                              "delivered) %s, %s" % (qkey(name), eid.decode(),
                                                     show(da.get(eid)), show(db.get(eid))))
                    break

    # Big values: read in chunks.

    def compare_big(self, t, k, n):
        s, d = self.src, self.dst
        if t == "string":
            for off in range(0, n, 1 << 20):
                a = s.execute_command("GETRANGE", k, off, off + (1 << 20) - 1)
                b = d.execute_command("GETRANGE", k, off, off + (1 << 20) - 1)
                if a != b:
                    self.diff(k, "string differs in bytes %d to %d" % (off, off + (1 << 20) - 1))
                    return
        elif t == "list":
            for off in range(0, n, CHUNK):
                a = s.execute_command("LRANGE", k, off, off + CHUNK - 1)
                b = d.execute_command("LRANGE", k, off, off + CHUNK - 1)
                if a != b:
                    self.cmp_list(k, a, b, off)
                    if len(a) != len(b):
                        self.diff(k, "list differs at element %d" % (off + min(len(a), len(b))))
                    return
        elif t == "zset":
            for off in range(0, n, CHUNK):
                a = pairs(s.execute_command("ZRANGE", k, off, off + CHUNK - 1, "WITHSCORES"))
                b = pairs(d.execute_command("ZRANGE", k, off, off + CHUNK - 1, "WITHSCORES"))
                before = self.diffs
                self.cmp_zset(k, a, b, off)
                if self.diffs != before:
                    return
        elif t == "hash":
            # Every source field has its value on the target; the
            # lengths are equal (checked before), so nothing more is there.
            cursor = b"0"
            while True:
                cursor, flat = s.execute_command("HSCAN", k, cursor, "COUNT", CHUNK)
                fields = pairs(flat)
                if fields:
                    vals = d.execute_command("HMGET", k, *[f for f, _ in fields])
                    for (f, v), w in zip(fields, vals):
                        if v != w:
                            self.diff(k, "hash field %s value %s, %s"
                                      % (qkey(f), qkey(v), "missing" if w is None else qkey(w)))
                            return
                if cursor in (b"0", 0):
                    break
        elif t == "set":
            cursor = b"0"
            while True:
                cursor, members = s.execute_command("SSCAN", k, cursor, "COUNT", CHUNK)
                if members:
                    there = d.execute_command("SMISMEMBER", k, *members)
                    for m, ok in zip(members, there):
                        if not ok:
                            self.diff(k, "set member %s missing on the target" % qkey(m))
                            return
                if cursor in (b"0", 0):
                    break
        elif t == "stream":
            start = "-"
            while True:
                a = s.execute_command("XRANGE", k, start, "+", "COUNT", CHUNK)
                b = d.execute_command("XRANGE", k, start, "+", "COUNT", CHUNK)
                if a != b:
                    self.cmp_stream_entries(k, a, b)
                    return
                if len(a) < CHUNK:
                    break
                start = "(" + a[-1][0].decode()
            self.cmp_stream_meta(k, s.execute_command("XINFO", "STREAM", k),
                                 d.execute_command("XINFO", "STREAM", k),
                                 s.execute_command("XINFO", "GROUPS", k),
                                 d.execute_command("XINFO", "GROUPS", k))

    def cmp_ttl(self, k, ta, tb):
        a = self.args
        if a.ignore_ttl:
            return
        if a.ttl_dropped:
            if tb != -1:
                self.diff(k, "TTL %d ms on the target, which should be persistent" % tb)
            return
        if ta == -1 and tb == -1:
            return
        if ta == -1:
            self.diff(k, "persistent on the source, TTL %d ms on the target" % tb)
        elif tb == -1:
            self.diff(k, "TTL %d ms on the source, persistent on the target" % ta)
        elif abs(ta - tb) > a.ttl_tolerance:
            self.diff(k, "TTL %d ms on the source, %d ms on the target" % (ta, tb))

    def run(self):
        a = self.args
        ka = scan_keys(self.src, a.match)
        kb = scan_keys(self.dst, a.match)
        ta = key_types(self.src, ka)
        tb = key_types(self.dst, kb)
        if a.types:
            ta = {k: v for k, v in ta.items() if v in a.types}
            tb = {k: v for k, v in tb.items() if v in a.types}
        for k in sorted(set(ta) - set(tb)):
            self.diff(k, "missing on the target")
        for k in sorted(set(tb) - set(ta)):
            self.diff(k, "only on the target")
        common = sorted(set(ta) & set(tb))
        same_type = []
        for k in common:
            if ta[k] != tb[k]:
                self.diff(k, "type %s on the source, %s on the target" % (ta[k], tb[k]))
            else:
                same_type.append(k)
        for b in batches(same_type):
            # Lengths and TTLs first, both sides.
            lens = []
            for r in (self.src, self.dst):
                p = r.pipeline(transaction=False)
                for k in b:
                    p.execute_command(LEN_CMD[ta[k]], k)
                    p.execute_command("PTTL", k)
                lens.append(p.execute())
            small = []
            for i, k in enumerate(b):
                t = ta[k]
                na, nb = lens[0][2 * i], lens[1][2 * i]
                self.cmp_ttl(k, int(lens[0][2 * i + 1]), int(lens[1][2 * i + 1]))
                if na != nb:
                    self.diff(k, "%s length %d on the source, %d on the target" % (t, na, nb))
                if t == "string" and na > (1 << 20) or t != "string" and na > SMALL:
                    self.compare_big(t, k, na)
                else:
                    small.append(k)
            vals = []
            for r in (self.src, self.dst):
                p = r.pipeline(transaction=False)
                for k in small:
                    for c in self.small_cmds(ta[k], k):
                        p.execute_command(*c)
                vals.append(p.execute())
            pos = 0
            for k in small:
                t = ta[k]
                n = len(self.small_cmds(t, k))
                self.compare_small(t, k, vals[0][pos:pos + n], vals[1][pos:pos + n])
                pos += n
        if self.diffs > self.shown:
            print("... and %d more" % (self.diffs - self.shown))
        print("compared %d keys: %d differences" % (len(set(ta) | set(tb)), len(self.bad)))
        return 1 if self.diffs else 0


def main():
    ap = argparse.ArgumentParser(description="compare two Redis keyspaces")
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--match")
    ap.add_argument("--types", type=lambda s: set(s.replace(",", " ").split()))
    ap.add_argument("--ttl-tolerance", type=int, default=1000, metavar="MS")
    ap.add_argument("--ignore-ttl", action="store_true")
    ap.add_argument("--ttl-dropped", action="store_true")
    ap.add_argument("--digest", action="store_true")
    a = ap.parse_args()
    try:
        src = connect(a.src)
        dst = connect(a.dst)
        if a.digest:
            da = src.execute_command("DEBUG", "DIGEST")
            db = dst.execute_command("DEBUG", "DIGEST")
            na = src.execute_command("DBSIZE")
            nb = dst.execute_command("DBSIZE")
            if da != db:
                print("digest %s (%d keys) on the source, %s (%d keys) on the target"
                      % (da.decode(), na, db.decode(), nb))
                return 1
            print("same digest %s, %d keys" % (da.decode(), na))
            return 0
        return Compare(src, dst, a).run()
    except redis.RedisError as e:
        print("redis-compare: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
