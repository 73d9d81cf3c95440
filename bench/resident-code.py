#!/usr/bin/env python3
# Which of a binary's code is resident in a running process (issue 22): the present bit of
# /proc/PID/pagemap for each 4 KiB page of the binary's mappings, attributed to its symbols
# (nm) and summed by their first path segment (a crate, or `core` for most generic code).
# Usage: bench/resident-code.py PID BINARY     (as root, or on a process of your own)
import re, struct, subprocess, sys, collections
pid, binary = sys.argv[1], sys.argv[2]
PAGE = 4096
maps = []
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5].endswith(binary.split('/')[-1]):
        lo, hi = (int(x, 16) for x in parts[0].split('-'))
        maps.append((lo, hi, parts[1], int(parts[2], 16)))
segs = []
for line in subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if f and f[0] == "LOAD":
        segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))  # offset, vaddr, filesz
pm = open(f"/proc/{pid}/pagemap", "rb")
present = set()  # ELF virtual addresses of resident pages
per_map = []
for lo, hi, perm, off in maps:
    seg = next((s for s in segs if s[0] <= off < s[0] + max(s[2], 1)), None)
    bias = lo - (seg[1] + (off - seg[0])) if seg else None
    pm.seek(lo // PAGE * 8)
    data = pm.read((hi - lo) // PAGE * 8)
    n = 0
    for i in range((hi - lo) // PAGE):
        (e,) = struct.unpack_from("<Q", data, i * 8)
        if e >> 63 & 1:
            n += 1
            if bias is not None:
                present.add(lo + i * PAGE - bias)
    per_map.append((perm, (hi - lo) / 1e6, n * PAGE / 1e6))
for perm, size, rss in per_map:
    print(f"mapping {perm}: {size:.1f} MB mapped, {rss:.2f} MB resident")
syms = []
out = subprocess.run(["nm", "-C", "-S", "--defined-only", binary], capture_output=True, text=True).stdout
for line in out.splitlines():
    f = line.split(" ", 3)
    if len(f) == 4 and f[2] in "tTrRdDbB" and f[2].lower() in "tr":
        syms.append((int(f[0], 16), int(f[1], 16), f[2].lower(), f[3]))
def crate(name):
    name = re.sub(r"^(<|&|\*const |\*mut |dyn |impl )+", "", name.lstrip("<&"))
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)", name)
    return m.group(1) if m else "?"
by = collections.defaultdict(lambda: [0, 0])
for addr, size, kind, name in syms:
    if size == 0: continue
    res = 0
    p = addr // PAGE * PAGE
    while p < addr + size:
        if p in present:
            res += min(p + PAGE, addr + size) - max(p, addr)
        p += PAGE
    key = (kind, crate(name))
    by[key][0] += size
    by[key][1] += res
tot = collections.defaultdict(lambda: [0, 0])
for (kind, c), (s, r) in by.items():
    tot[kind][0] += s; tot[kind][1] += r
for kind in "tr":
    print(f"symbols {kind}: {tot[kind][0]/1e6:.2f} MB, resident {tot[kind][1]/1e6:.2f} MB")
    rows = sorted(((r, s, c) for (k, c), (s, r) in by.items() if k == kind), reverse=True)[:25]
    for r, s, c in rows:
        print(f"  {c:28} {s/1e6:7.2f} MB  resident {r/1e6:6.2f} MB")
