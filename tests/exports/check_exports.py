#!/usr/bin/env python3
"""The library exports exactly the functions its tables wrap.

With --library and --catalog-names: compares the functions libiomon.so
exports (nm -D, defined, global) with the catalog of the domains compiled
in.  With --subset: configures and builds the library again from the source
tree with only some domains (-Ddomains=...), and checks the same, and that
the left-out domains' functions are not there at all.
"""
import argparse
import os
import subprocess
import sys
import tempfile

# The library's own exports besides the wrappers.
CORE_EXPORTS = {"__libc_start_main",
                # whole_process.c: not recorded; they renew or hold the sender.
                "setuid", "setgid", "seteuid", "setegid", "setreuid", "setregid",
                "setresuid", "setresgid", "setgroups", "initgroups", "unshare", "setns"}


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # "address type name": T/W are functions this library defines.
        if len(parts) == 3 and parts[1] in ("T", "W", "i"):
            names.add(parts[2].split("@")[0])
    return names


def catalog(names_program):
    out = subprocess.run([names_program], check=True, capture_output=True,
                         text=True).stdout
    return set(out.split())


def compare(library, names_program):
    want = catalog(names_program)
    have = exported(library) - CORE_EXPORTS
    missing, extra = sorted(want - have), sorted(have - want)
    if missing:
        print(f"{library}: not exported, though in the tables: {missing}")
    if extra:
        print(f"{library}: exported, though in no table: {extra}")
    print(f"{library}: {len(have)} wrappers exported, {len(want)} in the tables")
    return want if not (missing or extra) else None


def build_subset(srcdir, domains, build):
    subprocess.run(["meson", "setup", build, srcdir, "-Dtests=false",
                    "-Ddomains=" + ",".join(domains)], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", build, "libiomon/libiomon.so",
                    "domains/catalog-names"], check=True,
                   stdout=subprocess.DEVNULL)
    return (os.path.join(build, "libiomon", "libiomon.so"),
            os.path.join(build, "domains", "catalog-names"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--catalog-names", required=True)
    parser.add_argument("--subset", help="comma-separated domains to build alone")
    parser.add_argument("--srcdir")
    args = parser.parse_args()

    everything = compare(args.library, args.catalog_names)
    if everything is None:
        return 1
    if not args.subset:
        return 0
    with tempfile.TemporaryDirectory(prefix="iomon-subset-") as build:
        library, names = build_subset(args.srcdir, args.subset.split(","), build)
        subset = compare(library, names)
        if subset is None:
            return 1
        left_out = exported(library) & (everything - subset)
    if not subset or not subset <= everything:
        print(f"the subset {args.subset} should wrap some of the functions")
        return 1
    if left_out:
        print(f"left-out domains' functions still exported: {sorted(left_out)}")
        return 1
    print(f"-Ddomains={args.subset}: exactly its {len(subset)} functions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
