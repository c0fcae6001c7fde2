"""Chromium and chromedriver for the browser tests, from Debian's packages.

``make test`` calls ``ensure_browser()`` first: when either is missing and this machine can
install them (root, apt-get), it installs them; otherwise the browser tests skip with a reason
that says how to get them. Nothing is downloaded at test time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PACKAGES = ["chromium", "chromium-driver"]


def browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def ensure_browser() -> bool:
    if browser_available():
        return True
    if os.environ.get("SKIP_BROWSER_INSTALL") or shutil.which("apt-get") is None \
            or os.geteuid() != 0:
        print("[browser] chromium/chromedriver missing and not installable here "
              f"(as root: apt-get install {' '.join(PACKAGES)}); browser tests will skip",
              file=sys.stderr)
        return False
    print(f"[browser] installing {' '.join(PACKAGES)} from Debian's packages", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Bounded: a hung mirror must cost the run some minutes at most, never the whole CI budget.
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "check": False, "timeout": 300}
    try:
        # An update that fails for one unreachable source may still leave the lists usable:
        # whether the install worked is judged by its result.
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        *PACKAGES], **quiet)
    except subprocess.TimeoutExpired:
        pass
    if not browser_available():
        print("[browser] installing the browser failed; browser tests will skip",
              file=sys.stderr)
        return False
    return True
