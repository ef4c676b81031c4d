#!/usr/bin/python3
"""redis-fill.py - fill a Redis database with test data.

usage: redis-fill.py URL PROFILE [options]

profiles:
  types            every type with its edge cases (see fill_types below):
                   strings (empty, binary, integer, 100 KB), a key name with
                   binary bytes and a newline, hashes, lists (order), sets
                   (integers and strings), zsets with scores inf, -inf, -0,
                   0, 1e-300, 0.1..., streams with deleted entries, consumer
                   groups with pending entries for two consumers and an
                   entry delivered twice, an empty stream with a group;
                   keys with TTLs (--ttl-ms, default one hour; or all
                   expiring at --expire-at MS since the epoch, which makes
                   two servers filled one after the other alike) and without.
  many N           N keys, fast (protocol through redis-cli --pipe): with
                   --mixed 70% strings and 30% small hashes, lists, sets and
                   zsets; otherwise strings of --size bytes (default 20).
                   --ttl-ms MS gives them TTLs spread over 1..MS ms.
  big              big:hash (1,000,000 fields), big:list (2,000,000
                   elements, "e0".."e1999999" in order) and big:string
                   (20 MB): sizes with --hash-fields, --list-len, --string-mb.
options: --prefix P (default empty) before every key name.

Use /usr/bin/python3: it has the redis module (python3-redis).
"""

import argparse
import os
import random
import subprocess
import sys
import urllib.parse

import redis


def connect(url):
    r = redis.Redis.from_url(url, socket_timeout=120)
    r.response_callbacks.clear()
    return r


def fill_types(r, p, ttl, expire_at):
    """Every type and its edge cases, under prefix p (bytes). The keys
    with a TTL get ttl ms, or expire at expire_at (ms since the epoch)."""
    k = lambda s: p + (s if isinstance(s, bytes) else s.encode())
    x = r.execute_command

    def expire(key):
        if expire_at:
            x("PEXPIREAT", key, expire_at)
        else:
            x("PEXPIRE", key, ttl)

    # Strings.
    x("SET", k("str:plain"), "hello")
    x("SET", k("str:empty"), "")
    x("SET", k("str:binary"), bytes(range(256)) * 4)
    x("SET", k("str:int"), "12345")
    x("SET", k("str:big"), random.Random(7).randbytes(100 * 1024))
    x("SET", k(b"bin:\x00\xff\n\r key\x01"), b"binary key \x00 name")
    x("SET", k("str:ttl"), "expiring")
    expire(k("str:ttl"))
    # Hashes: small (listpack), big (hashtable), binary and empty parts.
    x("HSET", k("hash:small"), "f1", "v1", "", "empty field", "f3", "",
      b"bin\x00\xff", b"\x00\x01")
    args = []
    for i in range(2000):
        args += ["field:%d" % i, "value:%d" % (i * 7)]
    x("HSET", k("hash:big"), *args)
    x("HSET", k("hash:ttl"), "a", "1", "b", "2")
    expire(k("hash:ttl"))
    # Lists: order kept, duplicates, empty and binary elements.
    x("RPUSH", k("list:small"), "c", "a", "b", "a", "", b"\x00\xff\n")
    for i in range(0, 20000, 1000):
        x("RPUSH", k("list:big"), *["item:%d" % j for j in range(i, i + 1000)])
    x("RPUSH", k("list:ttl"), "x", "y")
    expire(k("list:ttl"))
    # Sets: integers (intset), strings, big (hashtable).
    x("SADD", k("set:int"), *range(-50, 50))
    x("SADD", k("set:str"), "a", "b", "", b"\x00\xff", "a long member " * 10)
    x("SADD", k("set:big"), *["m:%d" % i for i in range(3000)])
    x("SADD", k("set:ttl"), "one")
    expire(k("set:ttl"))
    # Sorted sets: the scores that are easy to get wrong.
    x("ZADD", k("zset:edge"), "inf", "plus-inf", "-inf", "minus-inf",
      "-0", "neg-zero", "0", "zero", "1e-300", "tiny", "0.1", "a-tenth",
      "1e300", "huge", "-1.5", "neg", "123456789.123456789", "long",
      "0.30000000000000004", "float-sum", "5", "", "5", b"\x00bin")
    args = []
    for i in range(1000):
        args += [str(i / 7), "member:%d" % i]
    x("ZADD", k("zset:big"), *args)
    x("ZADD", k("zset:ttl"), "1", "a")
    expire(k("zset:ttl"))
    # Streams: entries, a deleted one, groups with pending entries.
    s = k("stream:events")
    x("XADD", s, "1-1", "type", "login", "user", "ann")
    x("XADD", s, "1-2", "type", "click", "user", "ann", "page", "/")
    x("XADD", s, "2-0", "type", "logout", "user", "ann")
    x("XADD", s, "3-5", "type", "login", "user", "bob", "empty", "")
    x("XADD", s, "4-0", b"bin\x00", b"\xff")
    x("XADD", s, "5-0", "type", "gone")
    x("XADD", s, "6-0", "type", "last")
    x("XDEL", s, "5-0")
    x("XGROUP", "CREATE", s, "workers", "0")
    x("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "2", "STREAMS", s, ">")
    x("XREADGROUP", "GROUP", "workers", "bob", "COUNT", "3", "STREAMS", s, ">")
    x("XACK", s, "workers", "1-1")
    # 3-5 delivered a second time, now to alice.
    x("XCLAIM", s, "workers", "alice", "0", "3-5")
    x("XGROUP", "CREATECONSUMER", s, "workers", "carol")
    x("XGROUP", "CREATE", s, "audit", "$")
    x("XGROUP", "CREATE", s, "replay", "2-0")
    # A stream whose entries were all deleted, and one made by its group.
    s = k("stream:emptied")
    x("XADD", s, "7-7", "f", "v")
    x("XDEL", s, "7-7")
    x("XGROUP", "CREATE", k("stream:empty"), "g", "$", "MKSTREAM")
    s = k("stream:ttl")
    x("XADD", s, "1-0", "f", "v")
    expire(s)


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipe(url, chunks):
    """Send the commands through redis-cli --pipe."""
    u = urllib.parse.urlparse(url)
    cmd = ["redis-cli", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 6379),
           "-n", (u.path or "/0").lstrip("/") or "0", "--pipe"]
    env = dict(os.environ)
    if u.username:
        cmd += ["--user", urllib.parse.unquote(u.username)]
    if u.password:
        env["REDISCLI_AUTH"] = urllib.parse.unquote(u.password)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env)
    try:
        for c in chunks:
            proc.stdin.write(c)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    out = proc.stdout.read().decode(errors="replace")
    if proc.wait() != 0 or "errors: 0," not in out:
        sys.exit("redis-cli --pipe failed: " + out)


def fill_many(url, p, n, size, mixed, ttl_ms, seed):
    rnd = random.Random(seed)

    def gen():
        buf = []
        for i in range(n):
            key = p + b"key:%d" % i
            c = i % 10 if mixed else 0
            if c < 7:
                val = (b"v%d-" % i).ljust(size, b"x")
                buf.append(resp("SET", key, val))
            elif c == 7:
                buf.append(resp("HSET", key, "a", i, "b", "x" * (i % 13)))
            elif c == 8:
                buf.append(resp("RPUSH", key, *range(i % 7 + 1)))
            elif i % 20 == 9:
                buf.append(resp("SADD", key, "s", i, i + 1))
            else:
                buf.append(resp("ZADD", key, i, "m", -i / 3, "n"))
            if ttl_ms:
                buf.append(resp("PEXPIRE", key, rnd.randint(1, ttl_ms)))
            if len(buf) >= 2000:
                yield b"".join(buf)
                buf = []
        yield b"".join(buf)

    pipe(url, gen())


def fill_big(url, p, hash_fields, list_len, string_mb):
    def gen():
        for i in range(0, hash_fields, 1000):
            args = []
            for j in range(i, min(i + 1000, hash_fields)):
                args += [b"f%d" % j, b"value-%d" % (j * 31)]
            yield resp("HSET", p + b"big:hash", *args)
        for i in range(0, list_len, 2000):
            yield resp("RPUSH", p + b"big:list",
                       *[b"e%d" % j for j in range(i, min(i + 2000, list_len))])
        block = bytes(range(256)) * 4096          # 1 MB
        yield resp("SET", p + b"big:string", b"")
        for i in range(string_mb):
            yield resp("APPEND", p + b"big:string",
                       block[i % 256:] + block[:i % 256])

    pipe(url, gen())


def main():
    ap = argparse.ArgumentParser(description="fill a Redis database with test data")
    ap.add_argument("url")
    ap.add_argument("profile", choices=["types", "many", "big"])
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--ttl-ms", type=int, default=0)
    ap.add_argument("--expire-at", type=int, default=0)
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--mixed", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hash-fields", type=int, default=1000000)
    ap.add_argument("--list-len", type=int, default=2000000)
    ap.add_argument("--string-mb", type=int, default=20)
    a = ap.parse_args()
    p = a.prefix.encode()
    if a.profile == "types":
        fill_types(connect(a.url), p, a.ttl_ms or 3600000, a.expire_at)
    elif a.profile == "many":
        fill_many(a.url, p, a.n, a.size, a.mixed, a.ttl_ms, a.seed)
    else:
        fill_big(a.url, p, a.hash_fields, a.list_len, a.string_mb)


if __name__ == "__main__":
    main()
