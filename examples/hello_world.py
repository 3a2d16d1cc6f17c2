#!/usr/bin/env python3
"""The example of the README: some start-up work, then real file I/O.

Run it as  iomon -f abcd -s hello_world.txt -- python3 examples/hello_world.py
and the records start at the open of hello_world.txt: the interpreter's own
start-up, and the imports below, are not recorded.
"""
import json
import os
import tempfile


def main():
    workdir = tempfile.mkdtemp(prefix="iomon-example-")
    hello = os.path.join(workdir, "hello_world.txt")
    copy = os.path.join(workdir, "copy.json")

    with open(hello, "w") as f:
        f.write("hello, world\n" * 3)
    with open(hello) as f:
        lines = f.readlines()
    with open(copy, "w") as f:
        json.dump({"lines": lines}, f)
    with open(copy, "rb") as f:
        size = len(f.read())

    os.unlink(copy)
    os.unlink(hello)
    os.rmdir(workdir)
    print(f"read {len(lines)} lines, wrote {size} bytes of JSON")


if __name__ == "__main__":
    main()
