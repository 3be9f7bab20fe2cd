#!/usr/bin/env python3
"""Legal but nasty file trees, for the round-trip property test (t-roundtrip.sh).

  nasty_tree.py generate DIR SEED MAX_PATH   writes a tree into the empty DIR
  nasty_tree.py list DIR [--no-link-times]    prints a canonical listing of DIR

generate: every entry type a site's files directory can hold (files, empty and
read-only directories, symbolic links that dangle, are absolute, climb out or
point inside, hard links), names in NFC and NFD, with newlines, tabs, ESC
sequences and bytes that are not UTF-8, 255-byte components, one path close to
MAX_PATH bytes (relative to DIR), every mode bit, mtimes before 1970 and far
ahead (with nanoseconds), zero-byte, sparse and larger files. The same SEED gives
the same tree. Nothing in it is a name git treats specially (.git, .gitignore,
.gitattributes, .gitmodules), so `git add -A` takes all of it.

list: one line per entry below DIR (DIR itself is left out), sorted by path
bytes: path (escaped), type, mode & 01777 (set-id bits are never restored), size
and sha256 for files, the target for links, the mtime in nanoseconds, and for
files with several links the first path of their inode (hard links).
"""
import hashlib
import os
import random
import stat
import sys

WORDS = [b"alpha", b"beta", b"gamma", b"delta", b"uploads", b"2026", b"img", b"report.pdf", b"photo.jpg",
         b"a b", b"-dash", b"x*y?", b"back\\slash", b"UPPER", b"upper", b".hidden", b"tail "]
ODD = [
    "caf\u00e9".encode(),                    # NFC
    "cafe\u0301".encode(),                   # NFD: another name on Linux
    b"new\nline", b"tab\there", b"\x1b]0;title\x07", b"\x1b[31mred",
    b"bad\xff\xfe", b"\xc0\xaf", "\u202eevil".encode(), "\u00a0nbsp".encode(),
    "\U0001F600.png".encode(),
    "\u00e9".encode() * 127 + b"x",          # 255 bytes, multi-byte
    b"n" * 255,
]
SPECIAL = {b".git", b".gitignore", b".gitattributes", b".gitmodules"}
FILE_MODES = [0o644, 0o600, 0o755, 0o654, 0o645, 0o700, 0o444, 0o000, 0o777, 0o4755, 0o2755, 0o1644, 0o640]
DIR_MODES = [0o755, 0o700, 0o555, 0o1777, 0o2755, 0o750, 0o500]
TIMES = [-2_000_000_000, -1, 0, 1, 1_600_000_000, 1_700_000_000, 4_102_444_800, 32_503_680_000, 2**33]


def name(rng, taken):
    for _ in range(100):
        n = rng.choice(ODD) if rng.random() < 0.3 else rng.choice(WORDS)
        if rng.random() < 0.5 and len(n) < 200:
            n = n + b"-" + str(rng.randrange(1000)).encode()
        if n not in taken and n not in SPECIAL:
            taken.add(n)
            return n
    n = b"n%d" % len(taken)
    taken.add(n)
    return n


def write_file(rng, path):
    kind = rng.random()
    with open(path, "wb") as f:
        if kind < 0.15:
            pass  # zero bytes
        elif kind < 0.25:
            # sparse: a hole, data, a hole at the end
            f.seek(rng.randrange(1, 3 << 20))
            f.write(rng.randbytes(rng.randrange(1, 5000)))
            f.truncate(f.tell() + rng.randrange(0, 1 << 20))
        elif kind < 0.35:
            f.write(rng.randbytes(rng.randrange(64 << 10, 600 << 10)))
        elif kind < 0.5:
            f.write(b"compressible line\n" * rng.randrange(1, 20000))
        else:
            f.write(rng.randbytes(rng.randrange(1, 3000)))


def generate(root, seed, max_path):
    rng = random.Random(seed)
    root = os.fsencode(root)
    dirs = [b""]            # relative paths of directories
    files = []              # relative paths of regular files
    links = []              # (relative path, target)
    times = {}              # relative path -> mtime ns
    modes = {}              # relative path -> mode (set after content)
    taken = {b"": set()}

    def join(d, n):
        return n if not d else d + b"/" + n

    for _ in range(rng.randrange(20, 90)):
        d = rng.choice(dirs)
        n = name(rng, taken.setdefault(d, set()))
        rel = join(d, n)
        if len(root) + 1 + len(rel) > max_path - 300:
            continue
        full = os.path.join(root, rel)
        r = rng.random()
        if r < 0.25 and rel.count(b"/") < 6:
            os.mkdir(full)
            dirs.append(rel)
            modes[rel] = rng.choice(DIR_MODES)
        elif r < 0.7:
            write_file(rng, full)
            files.append(rel)
            modes[rel] = rng.choice(FILE_MODES)
        elif r < 0.9:
            depth = rel.count(b"/")
            target = rng.choice([
                b"/var/private", b"../" * (depth + rng.randrange(1, 4)) + b"shared-uploads", b"../outside-target",
                b".", b"..", b"missing/file", b"bad\xfftarget", b"new\nline-target",
                (b"../" * depth + rng.choice(files)) if files else b"dangling"])
            os.symlink(target, full)
            links.append(rel)
        elif files:
            os.link(os.path.join(root, rng.choice(files)), full)  # a hard link: no own mode or time
            continue
        else:
            continue
        t = rng.choice(TIMES)
        # Between -1 s and 0 s a pax time cannot be written with libarchive (its
        # sign is lost with a zero second count): whole seconds there.
        times[rel] = t * 1_000_000_000 + (0 if t == -1 else rng.randrange(1_000_000_000))

    # One path as long as the limit allows, of 255-byte components.
    budget = max_path - len(root) - 1 - 20
    deep, d = [], b""
    while budget > 260:
        n = (b"%03d" % len(deep)) + b"d" * 252
        d = join(d, n)
        deep.append(d)
        budget -= 256
        os.mkdir(os.path.join(root, d))
    if deep:
        tail = b"f" * max(1, min(255, budget - 1))
        rel = join(d, tail)
        assert len(root) + 1 + len(rel) <= max_path, (len(root) + 1 + len(rel), max_path)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(b"deep\n")
        times[rel] = 1_600_000_000_123_456_789
        modes[rel] = 0o640
    # Empty directories, one read-only.
    for i, m in enumerate([0o755, 0o555]):
        rel = b"empty-%d" % i
        os.mkdir(os.path.join(root, rel))
        dirs.append(rel)
        modes[rel] = m
        times[rel] = 1_500_000_000_000_000_000 + i

    # Modes, then times, deepest first (a directory's mtime after its content).
    for rel in sorted(modes, key=lambda p: -p.count(b"/")):
        os.chmod(os.path.join(root, rel), modes[rel])
    for rel in sorted(times, key=lambda p: -p.count(b"/")):
        os.utime(os.path.join(root, rel), ns=(times[rel], times[rel]), follow_symlinks=False)


def listing(root, link_times=True):
    root = os.fsencode(root)
    out, inodes = [], {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in sorted(dirnames + filenames):
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            key = (st.st_dev, st.st_ino)
            if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault(key, []).append(rel)
    first = {k: min(v) for k, v in inodes.items()}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode) & 0o1777
            if stat.S_ISLNK(st.st_mode):
                what = "link %r" % os.readlink(full)
                mode = 0
                mtime = st.st_mtime_ns if link_times else "-"
            elif stat.S_ISDIR(st.st_mode):
                what = "dir"
                mtime = st.st_mtime_ns
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                what = "file %d %s" % (st.st_size, h.hexdigest())
                group = first.get((st.st_dev, st.st_ino))
                if group is not None:
                    what += " linked-to %r" % group
                mtime = st.st_mtime_ns
            else:
                what = "other"
                mtime = st.st_mtime_ns
            out.append((rel, "%r %s %o %s" % (rel, what, mode, mtime)))
    for _, line in sorted(out):
        print(line)


def main():
    if sys.argv[1] == "generate":
        os.umask(0)
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "list":
        listing(sys.argv[2], "--no-link-times" not in sys.argv)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
