"""What the tests that drive outside programs share."""
import os
import sys


def outside_env():
    """The environment for programs not built here (Prometheus, Chromium):
    without the sanitizer runtime a sanitized test setup preloads."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)
