#!/usr/bin/env python3
"""The dependency rule of the tree (root README.md, "Architecture"), checked on
every #include "..." of every C/C++ source under a tree:

    common  <-  {dataplane/api, dataplane/core, drivers, board}
            <-  {fast path = dataplane/fastpath + dataplane/failover, control}
            <-  tools  <-  tools/lab

A part may include itself and any part of a lower layer; parts of the same
layer never include each other (so never fast path <-> control daemon);
tests/ may include anything, nothing includes tests/ but tests/. Inside the
control daemon, control/daemon wires the other folders together: none of
them includes it back.

usage: layout.py TREE   prints one line per wrong-way include
                        (FILE:LINE: PART includes TARGET (PART): why) and
                        exits 1 if there is any, 0 if none.
"""
import os
import re
import sys

# (path prefix, part, layer); the longest matching prefix wins.
PARTS = [
    ("common/", "common", 0),
    ("dataplane/api/", "dataplane/api", 1),
    ("dataplane/core/", "dataplane/core", 1),
    ("drivers/", "drivers", 1),
    ("board/", "board", 1),
    ("dataplane/fastpath/", "fast path", 2),
    ("dataplane/failover/", "fast path", 2),
    ("control/", "control", 2),
    ("tools/lab/", "tools/lab", 4),
    ("tools/", "tools", 3),
    ("tests/", "tests", 5),
]
SOURCE = re.compile(r"\.(c|cc|cpp|h|hh|hpp)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def part_of(path):
    best = None
    for prefix, part, layer in PARTS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, part, layer)
    return best


def verdict(src, dst, src_path, dst_path):
    """None if `src` may include `dst`, else why not."""
    if src[1] == dst[1]:
        if src[1] == "control" and dst_path.startswith("control/daemon/") and not src_path.startswith("control/daemon/"):
            return "only control/daemon includes control/daemon (it wires the other folders)"
        return None
    if src[1] == "tests":
        return None
    if dst[1] == "tests":
        return "only tests include tests/"
    if dst[2] < src[2]:
        return None
    if dst[2] == src[2]:
        return "parts of one layer never include each other"
    return "a lower layer never includes a higher one"


def check(tree):
    bad = []
    for root, dirs, files in os.walk(tree):
        rel_root = os.path.relpath(root, tree)
        dirs[:] = sorted(d for d in dirs if not (rel_root == "." and d in ("build", ".git")))
        for name in sorted(files):
            if not SOURCE.search(name):
                continue
            rel = os.path.normpath(os.path.join(rel_root, name))
            src = part_of(rel)
            if src is None:
                continue  # outside the parts (firmware scripts, mk/): not C++ of ours
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                for line_no, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    # Includes are written from the top of the tree; a bare
                    # name is the file's own folder.
                    if "/" not in target:
                        target = os.path.normpath(os.path.join(os.path.dirname(rel), target))
                    dst = part_of(target)
                    if dst is None:
                        bad.append(f"{rel}:{line_no}: {src[1]} includes {target}, which is in no part of the tree")
                        continue
                    why = verdict(src, dst, rel, target)
                    if why:
                        bad.append(f"{rel}:{line_no}: {src[1]} includes {target} ({dst[1]}): {why}")
    return bad


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bad = check(sys.argv[1])
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
