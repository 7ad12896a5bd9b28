#!/usr/bin/env python3
"""Lists import cycles between the modules of a Rust crate (its `crate::` paths; tests
excluded). usage: scripts/module-cycles.py crates/hearth-server/src"""
import re, os, sys
root = sys.argv[1]
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            mod = os.path.relpath(p, root)[:-3].replace('/', '::')
            mod = re.sub(r'::mod$', '', mod)
            if mod in ('mod',): mod = ''
            files[mod] = open(p).read()
mods = set(files)
def resolve(path):
    parts = path.split('::')
    while parts:
        m = '::'.join(parts)
        if m in mods: return m
        parts.pop()
    return None
edges = {m: set() for m in mods}
for m, src in files.items():
    src = re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*', '', src, flags=re.S)
    for path in re.findall(r'crate::([a-z_][a-z0-9_:]*)', src):
        t = resolve(path.rstrip(':'))
        if t and t != m and t not in ('lib', 'main'):
            edges[m].add(t)
# tarjan
index = {}; low = {}; st = []; on = set(); sccs = []; i = [0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = i[0]; i[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(comp)
for v in mods:
    if v not in index: sc(v)
big = sorted([c for c in sccs if len(c) > 1], key=len, reverse=True)
print('files:', len(mods), 'cycles (SCC sizes):', [len(c) for c in big])
for c in big: print(sorted(c))
