#!/usr/bin/env python3
"""Builds a self-contained root file system for one of our binaries (and the few tools it execs).

Usage:
  rootfs.py ROOT --binary SRC:DEST [--binary SRC:DEST ...] [--file SRC:DEST ...]
            [--symlink LINK:TARGET ...] [--strip]

Each --binary is copied to ROOT/DEST (stripped with --strip) together with every shared library
it needs: `ldd` is run on the binary and again on every library found (recursively, until the set
stops growing), so a library that only a dependency needs is included too. Libraries land in
ROOT under the directory the host's dynamic loader found them in (after resolving directory
symlinks such as Debian's /lib -> usr/lib), named by the name ldd printed (the soname), with the
contents of the real file. The dynamic loader is copied to the exact path the binary's PT_INTERP
names (e.g. /lib64/ld-linux-x86-64.so.2), because the kernel opens it by that path. A missing
library ("not found") is an error. --file copies a plain file (e.g. /etc/mke2fs.conf); --symlink
makes ROOT/LINK a symbolic link to TARGET (e.g. mkfs.ext4 -> mke2fs).

Prints one line per copied file (path inside ROOT and size) to stdout.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

LDD_LINE = re.compile(r"^\s*(\S+)(?:\s+=>\s+(\S+|not found))?(?:\s+\(0x[0-9a-f]+\))?\s*$")


def ldd(path):
    """Returns (libraries {name: resolved host path}, loader path or None) for one ELF file."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True)
    text = out.stdout + out.stderr
    if "not a dynamic executable" in text or "statically linked" in text:
        return {}, None
    if out.returncode != 0:
        raise SystemExit(f"rootfs: ldd {path} failed: {text.strip()}")
    libs, loader = {}, None
    for line in out.stdout.splitlines():
        m = LDD_LINE.match(line)
        if not m:
            continue
        name, target = m.group(1), m.group(2)
        if target == "not found":
            raise SystemExit(f"rootfs: {path} needs {name}, which the loader cannot find")
        if target is None:
            if name.startswith("/"):
                loader = name  # the PT_INTERP line: "/lib64/ld-linux-x86-64.so.2 (0x...)"
            continue  # linux-vdso.so.1 has no file
        libs[name] = target
    return libs, loader


def closure(binaries):
    """The transitive set of libraries {host path as ldd printed it} and the loader paths."""
    seen, loaders, todo = {}, set(), list(binaries)
    while todo:
        libs, loader = ldd(todo.pop())
        if loader:
            loaders.add(loader)
        for _name, path in libs.items():
            if path not in seen:
                seen[path] = True
                todo.append(path)
    return sorted(seen), sorted(loaders)


def copy_into(root, src, dest, strip=False, mode=None):
    target = os.path.join(root, dest.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.lexists(target):
        os.unlink(target)
    shutil.copyfile(os.path.realpath(src), target)
    os.chmod(target, mode if mode is not None else (os.stat(os.path.realpath(src)).st_mode & 0o777))
    if strip:
        subprocess.run(["strip", "--strip-unneeded", target], check=True)
    print(f"{dest}\t{os.path.getsize(target)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root")
    p.add_argument("--binary", action="append", default=[], metavar="SRC:DEST")
    p.add_argument("--file", action="append", default=[], metavar="SRC:DEST")
    p.add_argument("--symlink", action="append", default=[], metavar="LINK:TARGET")
    p.add_argument("--strip", action="store_true", help="strip the binaries (not the libraries)")
    a = p.parse_args()
    pairs = [b.split(":", 1) for b in a.binary]
    for src, _ in pairs:
        if not os.access(src, os.X_OK):
            raise SystemExit(f"rootfs: {src} is not an executable file")
    for src, dest in pairs:
        copy_into(a.root, src, dest, strip=a.strip, mode=0o755)
    libs, loaders = closure([src for src, _ in pairs])
    for lib in libs:
        real_dir = os.path.realpath(os.path.dirname(lib))
        copy_into(a.root, lib, os.path.join(real_dir, os.path.basename(lib)), mode=0o644)
    for loader in loaders:
        copy_into(a.root, loader, loader, mode=0o755)
    for f in a.file:
        src, dest = f.split(":", 1)
        copy_into(a.root, src, dest, mode=0o644)
    for s in a.symlink:
        link, target = s.split(":", 1)
        path = os.path.join(a.root, link.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)
        print(f"{link}\t-> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
