"""``make test``: Debian's chromium for the browser tests (when missing and installable),
embedded services (unless DATABASE_URL/REDIS_URL are set), then pytest. Arguments are passed to
pytest."""

from __future__ import annotations

import os
import subprocess
import sys

from devtools.browser import ensure_browser
from devtools.services import ROOT, services, unusable_servers


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.test")
    ensure_browser()
    with services():
        problem = unusable_servers()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        return subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
