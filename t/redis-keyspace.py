#!/usr/bin/python3
"""redis-keyspace.py - a keyspace as sorted text lines, for test_cmp: the
cluster tests' oracle.

usage: redis-keyspace.py URL [--ttl]

URL is redis://host:port/db for a server of its own, or
redis+cluster://host:port for a Redis Cluster, whose primaries are found
with CLUSTER SLOTS and each scanned. One line a key:
    KEY TYPE SHA1-OF-VALUE [ttl]
the key and the value in a form that does not depend on how the server
stores them (hash fields and set members sorted, zset scores as doubles),
"ttl" when --ttl is given and the key has one. Exits 1 on an error.

Use /usr/bin/python3: it has the redis module (python3-redis).
"""

import argparse
import hashlib
import sys
import urllib.parse

import redis


def node(host, port, db=0):
    r = redis.Redis(host=host, port=port, db=db, socket_timeout=120,
                    socket_connect_timeout=10)
    r.response_callbacks.clear()
    return r


def primaries(url):
    u = urllib.parse.urlparse(url)
    if u.scheme == "redis":
        return [node(u.hostname, u.port or 6379, int((u.path or "/0").lstrip("/") or 0))]
    seed = node(u.hostname, u.port or 6379)
    seen, out = set(), []
    for r in seed.execute_command("CLUSTER", "SLOTS"):
        host = r[2][0].decode() or u.hostname
        port = int(r[2][1])
        if (host, port) not in seen:
            seen.add((host, port))
            out.append(node(host, port))
    return out


def value(r, k, t):
    if t == b"string":
        return r.execute_command("GET", k)
    if t == b"hash":
        f = r.execute_command("HGETALL", k)
        return repr(sorted(zip(f[::2], f[1::2]))).encode()
    if t == b"list":
        return repr(r.execute_command("LRANGE", k, 0, -1)).encode()
    if t == b"set":
        return repr(sorted(r.execute_command("SMEMBERS", k))).encode()
    if t == b"zset":
        z = r.execute_command("ZRANGE", k, 0, -1, "WITHSCORES")
        return repr(sorted((m, float(s)) for m, s in zip(z[::2], z[1::2]))).encode()
    if t == b"stream":
        return repr(r.execute_command("XRANGE", k, "-", "+")).encode()
    return b"?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--ttl", action="store_true")
    a = ap.parse_args()
    lines = []
    try:
        for r in primaries(a.url):
            cursor = b"0"
            while True:
                cursor, keys = r.execute_command("SCAN", cursor, "COUNT", 1000)
                for k in keys:
                    t = r.execute_command("TYPE", k)
                    line = "%s %s %s" % (k.hex(), t.decode(),
                                         hashlib.sha1(value(r, k, t)).hexdigest())
                    if a.ttl and r.execute_command("PTTL", k) >= 0:
                        line += " ttl"
                    lines.append(line)
                if cursor in (b"0", 0, "0"):
                    break
    except redis.RedisError as e:
        sys.exit("redis-keyspace.py: %s" % e)
    lines.sort()
    sys.stdout.write("".join(x + "\n" for x in lines))


if __name__ == "__main__":
    main()
