#!/usr/bin/env python3
"""Write a layered-DAG job file for benchmarks.

    gen-dag.py [--steps N] [--width W] [--needs K] [-o FILE]

N steps in layers of W steps (the last one may be short); each step of a
layer but the first needs K distinct steps of the layer before, chosen
deterministically, so the same arguments always give the same file.
Every step runs `true`.

The file is kept small enough for a job file's 4 MiB limit at 100,000
steps with 2 needs each: one step a line in flow style, no needless
spaces, and ids that are base-36 counters ("0" .. "zz" ..), e.g.

    - {id: 2s,run: true,needs: [0,1]}

(`true` is a plain scalar; runjob takes it as written.) The byte size is
printed to stderr. Standard library only.
"""

import argparse
import sys

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

MAX_FILE = 4 << 20  # LOAD_MAX_FILE in runner/load.h

# Plain scalars that YAML reads as null, which a step id cannot be.
NULLS = {"null", "~", ""}


def base36(i):
    if i == 0:
        return "0"
    s = []
    while i:
        i, r = divmod(i, 36)
        s.append(DIGITS[r])
    return "".join(reversed(s))


def ids(n):
    """n distinct ids, in counter order, skipping any YAML null."""
    out = []
    i = 0
    while len(out) < n:
        s = base36(i)
        i += 1
        if s not in NULLS:
            out.append(s)
    return out


def pick(pos, width, k):
    """k distinct positions in a layer of width, for the step at pos."""
    k = min(k, width)
    stride = max(1, width // k) if k else 1
    base = (pos * 37) % width
    chosen = []
    seen = set()
    for j in range(k):
        p = (base + j * stride) % width
        while p in seen:
            p = (p + 1) % width
        seen.add(p)
        chosen.append(p)
    return chosen


def main():
    ap = argparse.ArgumentParser(description="Write a layered-DAG job file.")
    ap.add_argument("--steps", type=int, default=100000, metavar="N",
                    help="number of steps (default 100000)")
    ap.add_argument("--width", type=int, default=100, metavar="W",
                    help="steps per layer (default 100)")
    ap.add_argument("--needs", type=int, default=2, metavar="K",
                    help="needs per step, in the layer before (default 2)")
    ap.add_argument("-o", "--output", metavar="FILE",
                    help="where to write (default: stdout)")
    a = ap.parse_args()
    if a.steps < 1 or a.width < 1 or a.needs < 0:
        ap.error("--steps and --width must be at least 1, --needs at least 0")

    name = ids(a.steps)
    lines = ["# A layered DAG: %d steps, layers of %d, %d needs each.\n"
             % (a.steps, a.width, a.needs),
             "runjob: 1\n",
             "name: dag-%d\n" % a.steps,
             "steps:\n"]
    for i in range(a.steps):
        layer, pos = divmod(i, a.width)
        if layer == 0 or a.needs == 0:
            lines.append("- {id: %s,run: true}\n" % name[i])
            continue
        prev = (layer - 1) * a.width
        needs = ",".join(name[prev + p] for p in pick(pos, a.width, a.needs))
        lines.append("- {id: %s,run: true,needs: [%s]}\n" % (name[i], needs))
    data = "".join(lines).encode("ascii")

    if a.output:
        with open(a.output, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)
    print("gen-dag: %d steps, width %d, %d needs: %d bytes (%.2f MiB, "
          "%.1f bytes a step)" % (a.steps, a.width, a.needs, len(data),
                                 len(data) / 1048576, len(data) / a.steps),
          file=sys.stderr)
    if len(data) > MAX_FILE:
        print("gen-dag: warning: over runjob's %d-byte limit for a job file"
              % MAX_FILE, file=sys.stderr)


if __name__ == "__main__":
    main()
