#!/usr/bin/env python3
"""Checks that #include lines under src/ follow the allowed library graph.

Each library is a folder under src/ (a few folders hold two: a pure protocol/ part below the
server part). A file may include, from another library, only that library's door header or a
header the door itself includes (what the door re-exports), and only from a library that its
own library is allowed to depend on. The allowed graph is written down here and in
docs/architecture.md; it must have no cycle.

Usage: layers_test.py SRC_DIR. Prints each wrong include and exits 1 when there is one.
"""

import os
import re
import sys

# Library -> (door header or headers, libraries it may include). Longest folder prefix wins, so
# "imap/protocol" holds src/imap/protocol/ and "webpush" the rest of src/webpush/. Two doors:
# mime's header-field codec beside the message parser, and imap/protocol's ENVELOPE and
# BODYSTRUCTURE, a CMake library of its own because it needs GMime (the codec does not).
LIBRARIES = {
    "base": ("base/base.h", []),
    "testing": ("testing/temp_dir.h", ["base"]),
    "sqlite": ("sqlite/sqlite.h", ["base"]),
    "net": ("net/net.h", ["base"]),
    "mime": (("mime/mime.h", "mime/headers.h"), ["base"]),
    "store": ("store/store.h", ["base", "sqlite", "mime"]),
    "hub": ("hub/hub.h", ["base", "store"]),
    "delivery": ("delivery/delivery.h", ["base", "mime", "store"]),
    "webpush/protocol": ("webpush/protocol/protocol.h", ["base"]),
    "smtp/protocol": ("smtp/protocol/protocol.h", ["base"]),
    "smtp": ("smtp/smtp.h", ["base", "smtp/protocol", "net", "mime", "store", "delivery"]),
    "imap/protocol": (("imap/protocol/protocol.h", "imap/protocol/structure.h"), ["base", "mime"]),
    "imap/server": ("imap/server/server.h",
                    ["base", "imap/protocol", "net", "mime", "store", "hub"]),
    "jmap": ("jmap/jmap.h", ["base", "mime", "store", "delivery", "webpush/protocol"]),
    "webpush": ("webpush/webpush.h",
                ["base", "webpush/protocol", "net", "store", "hub", "jmap"]),
    "http": ("http/http.h", ["base", "net", "store", "hub", "jmap"]),
    "bridge": ("bridge/bridge.h", ["base", "imap/protocol", "net", "mime", "store"]),
    "client": ("client/client.h", ["base", "sqlite", "mime"]),
    "exe": (None, ["base", "net", "mime", "store", "hub", "smtp", "imap/server", "webpush",
                   "http", "bridge", "client"]),
}
TEST_ONLY = {"testing"}  # included by tests only (*_test.cc, *_fixture.h)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def library_of(path):
    """The library that holds `path` (relative to src/), or None."""
    best = None
    for name in LIBRARIES:
        if path.startswith(name + "/") and (best is None or len(name) > len(best)):
            best = name
    return best


def door_names(name):
    doors = LIBRARIES[name][0]
    return doors if isinstance(doors, str) else " or ".join(doors)


def is_test(path):
    base = os.path.basename(path)
    return base.endswith("_test.cc") or base.endswith("_fixture.h")


def find_cycle():
    state = {}

    def visit(name, trail):
        state[name] = "open"
        for dep in LIBRARIES[name][1]:
            if state.get(dep) == "open":
                return trail + [name, dep]
            if dep not in state:
                found = visit(dep, trail + [name])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in LIBRARIES:
        if name not in state:
            found = visit(name, [])
            if found:
                return found
    return None


def main(src):
    problems = []
    for name, (_, deps) in LIBRARIES.items():
        problems += [f"graph: {name} -> {d}: no such library" for d in deps if d not in LIBRARIES]
    cycle = find_cycle()
    if cycle:
        problems.append("graph: cycle " + " -> ".join(cycle))

    def includes(path):
        with open(os.path.join(src, path), encoding="utf-8") as f:
            return INCLUDE.findall(f.read())

    public = {}
    for name, (doors, _) in LIBRARIES.items():
        public[name] = set()
        for door in (doors,) if isinstance(doors, str) else doors or ():
            if not os.path.exists(os.path.join(src, door)):
                problems.append(f"{door}: door header of {name} is missing")
                continue
            public[name] |= {door} | {h for h in includes(door) if library_of(h) == name}

    for root, _, files in os.walk(src):
        for file in sorted(files):
            if not file.endswith((".h", ".cc")):
                continue
            path = os.path.relpath(os.path.join(root, file), src)
            mine = library_of(path)
            if mine is None:
                problems.append(f"{path}: in no library (add its folder to LIBRARIES)")
                continue
            for header in includes(path):
                theirs = library_of(header)
                if theirs is None or theirs == mine:
                    continue  # a system or generated header, or our own
                if theirs in TEST_ONLY:
                    if not is_test(path):
                        problems.append(f"{path}: includes {header}, which is for tests only")
                    continue
                if theirs not in LIBRARIES[mine][1]:
                    problems.append(f"{path}: includes {header}, but {mine} may not depend on "
                                    f"{theirs}")
                elif header not in public[theirs]:
                    problems.append(f"{path}: includes {header}, private to {theirs}; include "
                                    f"{LIBRARIES[theirs][0]}")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} wrong include(s); the allowed graph is in {__file__}")
        return 1
    print(f"layers: {len(LIBRARIES)} libraries, includes all point the allowed way")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)))
