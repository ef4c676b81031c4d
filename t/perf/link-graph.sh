#!/bin/sh
# link-graph.sh [OBJECT...]: which object files of runjob need which.
#
# An object that uses a symbol another one defines needs it: an edge
# A -> B. Prints every strongly connected component of more than one
# object (a cycle: none of them can be taken out, or tested, without
# the others), one a line, then the edges with -e. Objects default to
# runner/*.o and journal/*.o; run `make` first.
#
#   sh t/perf/link-graph.sh         the cycles; exit 1 when there is one
#   sh t/perf/link-graph.sh -e      every edge, "A B" a line, then the cycles
edges=0
if [ "$1" = -e ]; then
	edges=1
	shift
fi
[ $# -gt 0 ] || set -- runner/*.o journal/*.o
for o in "$@"; do
	[ -f "$o" ] || { echo "link-graph.sh: no $o; run make first" >&2; exit 2; }
done
for o in "$@"; do
	nm "$o" | awk -v o="${o%.o}" '
		$1 == "U" { print o, "U", $2; next }
		NF == 3 && $2 ~ /^[A-TV-Z]$/ { print o, "D", $3 }'
done | EDGES=$edges python3 -c '
import os, sys

defs, uses = {}, []
for line in sys.stdin:
    obj, kind, sym = line.split()
    if kind == "D":
        defs.setdefault(sym, obj)
    else:
        uses.append((obj, sym))
graph = {}
for obj, sym in uses:
    to = defs.get(sym)
    graph.setdefault(obj, set())
    if to and to != obj:
        graph[obj].add(to)
for to in defs.values():
    graph.setdefault(to, set())

# Tarjan, iteratively: deep chains must not hit the recursion limit.
index, low, on, stack, sccs, n = {}, {}, set(), [], [], 0
for root in sorted(graph):
    if root in index:
        continue
    work = [(root, iter(sorted(graph[root])))]
    index[root] = low[root] = n; n += 1
    stack.append(root); on.add(root)
    while work:
        v, it = work[-1]
        for w in it:
            if w not in index:
                index[w] = low[w] = n; n += 1
                stack.append(w); on.add(w)
                work.append((w, iter(sorted(graph[w]))))
                break
            if w in on:
                low[v] = min(low[v], index[w])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                scc = []
                while True:
                    w = stack.pop(); on.discard(w); scc.append(w)
                    if w == v:
                        break
                if len(scc) > 1:
                    sccs.append(sorted(scc))
if os.environ["EDGES"] == "1":
    for a in sorted(graph):
        for b in sorted(graph[a]):
            print(a, b)
for scc in sorted(sccs):
    print("cycle:", " ".join(scc))
sys.exit(1 if sccs else 0)
'
