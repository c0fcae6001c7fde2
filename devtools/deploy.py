"""``make test-deploy``: build the image from deploy/Dockerfile, bring up docker-compose.yml, and
check the running stack from outside, as an operator and a tenant would.

No container registry is reachable where this runs, so the base images are stand-ins built here:
Debian bookworm from ``debootstrap`` (Debian's mirror), then Debian's python3.11, postgresql and
redis-server packages, with entrypoints that do what the official images' do for this stack
(``STANDIN_*`` below). They are cached in podman's storage under a hash of their recipe, so only
the first run (or a changed recipe) builds them.

The engine is Debian's podman (runtime ``runc``, limits from the project's own containers.conf via
``CONTAINERS_CONF``: nothing in /etc is edited), driven by Debian's docker-compose 1.29 through
``podman system service``. Compose 1.29 predates parts of the Compose file the project ships, so
it gets a copy, patched in a temporary directory (each patch is printed); docker-compose.yml
itself is never changed. Without systemd, podman runs no healthchecks on its own: a thread here
runs ``podman healthcheck run`` every few seconds, as the timer would.

Checks, in order, each a named step: the image builds, postgres and redis become healthy, the
migrate service exits 0, web becomes healthy, /healthz and /readyz answer 200, an operator signs
in to the console and provisions a tenant through the operator API (a Celery job in the worker
container), the tenant's owner signs in on the tenant's host and calls the tenant API through the
web container, and an inventory export job finishes in the worker and its file downloads. Then
everything is removed (containers, networks, volumes, the podman service); the images stay.

    python -m devtools.deploy test    # = make test-deploy
    python -m devtools.deploy stop    # remove what an interrupted run left behind
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

PACKAGES = ["podman", "buildah", "debootstrap", "docker-compose", "runc", "netavark",
            "aardvark-dns", "iptables"]
CONTAINERS_CONF = Path(__file__).with_name("containers.conf")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
# One per checkout, so two clones on one machine neither share containers nor retag each
# other's image between build and start.
SUFFIX = f"{zlib.crc32(str(ROOT).encode()):08x}"
PROJECT = f"saasdeploy{SUFFIX}"
APP_IMAGE = f"localhost/saas-platform:deploytest-{SUFFIX}"
BASE_DOMAIN = "platform.test"
# The podman API service of a running check, for `stop` after an interrupted run.
SERVICE_PID = Path(tempfile.gettempdir()) / f"saas-deploytest-{SUFFIX}.pid"

# --- the stand-in base images -----------------------------------------------------------------
# Named apart from the official images they stand in for, so that nothing else on this machine
# mistakes them for the real ones; the build argument and the compose copy point at them.
DEBOOTSTRAP = ["--variant=minbase", "bookworm"]
APT_INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
               "--no-install-recommends {packages} >/dev/null && rm -rf /var/lib/apt/lists/*")

STANDIN_PYTHON = f"""\
FROM {{base}}
# python:3.11-slim: python3.11 with its venv module (the Dockerfile's build stage makes venvs),
# certificates for PyPI, and this host's local CAs (a TLS-intercepting egress proxy would
# otherwise fail the image's PyPI downloads), which pip and uv are told to use.
RUN {APT_INSTALL.format(packages="python3.11 python3.11-venv ca-certificates")}
COPY local-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV LANG=C.UTF-8 \\
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3.11"]
"""
# Copied into the python stand-in: the CAs this host trusts beyond Debian's.
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")

# Debian bookworm's PostgreSQL is 15: the stand-in for postgres:16 is one major version behind.
STANDIN_POSTGRES = f"""\
FROM {{base}}
RUN {APT_INSTALL.format(packages="postgresql-15")} \\
    && pg_dropcluster 15 main \\
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\
    && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \\
    PGDATA=/var/lib/postgresql/data \\
    LANG=C.UTF-8
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
"""
POSTGRES_ENTRYPOINT = r"""#!/bin/sh
# What the official postgres image's entrypoint does, as far as docker-compose.yml needs: create
# the cluster with POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB on first start, accept password
# connections from the network, run as the postgres user.
set -e
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # The set-up server listens on a socket of its own, so the healthcheck's pg_isready cannot
    # call the database ready before the real server is up.
    mkdir -p /tmp/initdb-socket
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp/initdb-socket" \
        -w start >/dev/null
    db="${POSTGRES_DB:-$user}"
    if [ "$db" != postgres ]; then createdb -h /tmp/initdb-socket -U "$user" "$db"; fi
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
if [ "$1" = postgres ]; then
    shift
    exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
"""

STANDIN_REDIS = f"""\
FROM {{base}}
RUN {APT_INSTALL.format(packages="redis-server")} \\
    && mkdir -p /data && chown redis:redis /data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
"""
REDIS_ENTRYPOINT = r"""#!/bin/sh
# As the official redis image: run as the redis user in /data, reachable from other containers
# (its build turns protected mode off; Debian's binary has it on).
set -e
if [ "$1" = redis-server ]; then
    shift
    chown redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@" --protected-mode no
fi
exec "$@"
"""


# nginx:1.27 (the buffering proxy in front of web): Debian's nginx runs the shipped
# deploy/nginx.conf, mounted at /etc/nginx/nginx.conf as in the official image.
STANDIN_NGINX = f"""\
FROM {{base}}
RUN {APT_INSTALL.format(packages="nginx-light")} \\
    && rm -f /etc/nginx/sites-enabled/default
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
"""


def _local_cas() -> dict[str, str]:
    if not LOCAL_CA_DIR.is_dir():
        return {}
    return {f"local-ca/{p.name}": p.read_text() for p in sorted(LOCAL_CA_DIR.glob("*.crt"))}


# name -> (what it stands in for, recipe, extra files in its build context)
STANDINS: dict[str, tuple[str, str, dict[str, str]]] = {
    "python": ("python:3.11-slim", STANDIN_PYTHON, _local_cas()),
    "postgres": ("postgres:16", STANDIN_POSTGRES, {"entrypoint.sh": POSTGRES_ENTRYPOINT}),
    "redis": ("redis:7", STANDIN_REDIS, {"entrypoint.sh": REDIS_ENTRYPOINT}),
    "nginx": ("nginx:1.27", STANDIN_NGINX, {}),
}


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def base_image() -> str:
    return f"localhost/saas-standin/debian:bookworm-{_hash(*DEBOOTSTRAP, MIRROR)}"


def standin_image(name: str) -> str:
    official, recipe, files = STANDINS[name]
    tag = official.partition(":")[2]
    key = _hash(base_image(), recipe, *(f"{k}={v}" for k, v in sorted(files.items())))
    return f"localhost/saas-standin/{name}:{tag}-{key}"


# --- output -------------------------------------------------------------------------------------
class StepFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[deploy] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    log(f"{name} ...")
    started = time.monotonic()
    try:
        yield
    except StepFailed as exc:
        raise StepFailed(f"{name}: {exc}") from None
    except Exception as exc:
        raise StepFailed(f"{name}: {exc.__class__.__name__}: {exc}") from exc
    log(f"{name}: ok ({time.monotonic() - started:.1f} s)")


# --- the engine ---------------------------------------------------------------------------------
def _env(workdir: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    if workdir is not None:
        env["DOCKER_HOST"] = f"unix://{workdir / 'podman.sock'}"
    return env


def run(cmd: list[str], *, timeout: float = 120, check: bool = True, quiet: bool = False,
        **kwargs) -> subprocess.CompletedProcess:
    """A command with podman's settings; on failure its output ends up in the step's message."""
    result = subprocess.run(cmd, env=kwargs.pop("env", _env()), timeout=timeout, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                            **kwargs)
    if check and result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-30:])
        raise StepFailed(f"`{' '.join(cmd[:4])} ...` exited {result.returncode}:\n{tail}")
    if not quiet and result.stdout.strip() and os.environ.get("DEPLOY_VERBOSE"):
        print(result.stdout, file=sys.stderr)
    return result


def podman(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(["podman", *args], **kwargs)


def tools_missing() -> list[str]:
    return [tool for tool in ("podman", "buildah", "debootstrap", "docker-compose", "runc")
            if shutil.which(tool) is None]


def unavailable() -> str:
    """Why the deploy check cannot run here ("" if it can), installing the tools if it may."""
    if os.environ.get("SKIP_DEPLOY_TEST"):
        return "SKIP_DEPLOY_TEST is set"
    if sys.platform != "linux" or os.geteuid() != 0:
        return ("it needs root (rootful podman, debootstrap); run `make test-deploy` as root on "
                "Debian/Ubuntu")
    if not tools_missing():
        return ""
    if shutil.which("apt-get") is None:
        return f"{', '.join(tools_missing())} missing and no apt-get to install them"
    log(f"installing {' '.join(PACKAGES)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "check": False, "timeout": 600}
    try:
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        *PACKAGES], **quiet)
    except subprocess.TimeoutExpired:
        pass
    missing = tools_missing()
    return f"installing {', '.join(missing)} failed (apt-get)" if missing else ""


# --- images -------------------------------------------------------------------------------------
def _exists(image: str) -> bool:
    return podman("image", "exists", image, check=False).returncode == 0


def ensure_base() -> str:
    image = base_image()
    if _exists(image):
        log(f"stand-in base {image}: cached")
        return image
    with step(f"debootstrap {' '.join(DEBOOTSTRAP)} from {MIRROR} -> {image}"), \
            tempfile.TemporaryDirectory(prefix="saas-debootstrap-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", *DEBOOTSTRAP, str(rootfs), MIRROR], timeout=900)
        shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
        (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            run(["podman", "import", "--change", 'CMD ["/bin/bash"]', "-", image],
                stdin=tar.stdout, timeout=600)
        finally:
            tar.stdout.close()
            tar.wait()
    return image


def ensure_standin(name: str, base: str) -> str:
    image = standin_image(name)
    if _exists(image):
        log(f"stand-in for {STANDINS[name][0]} {image}: cached")
        return image
    official, recipe, files = STANDINS[name]
    with step(f"stand-in for {official}: build {image}"), \
            tempfile.TemporaryDirectory(prefix="saas-standin-") as tmp:
        (Path(tmp) / "Containerfile").write_text(recipe.format(base=base))
        (Path(tmp) / "local-ca").mkdir()
        for filename, text in files.items():
            (Path(tmp) / filename).write_text(text)
            (Path(tmp) / filename).chmod(0o644 if filename.startswith("local-ca/") else 0o755)
        podman("build", "--pull=never", "-t", image, tmp, timeout=900)
    return image


def build_app(python_image: str) -> None:
    with step(f"build deploy/Dockerfile -> {APP_IMAGE} (PYTHON_IMAGE={python_image})"):
        previous = podman("image", "inspect", "--format", "{{.Id}}", APP_IMAGE, check=False,
                          quiet=True).stdout.strip()
        # --layers: every step is cached in podman's storage, so an unchanged lock file skips
        # the dependency install and unchanged code the whole build.
        podman("build", "--pull=never", "--layers", "-f", str(DOCKERFILE),
               "--build-arg", f"PYTHON_IMAGE={python_image}", "-t", APP_IMAGE, str(ROOT),
               timeout=900)
        current = podman("image", "inspect", "--format", "{{.Id}}", APP_IMAGE).stdout.strip()
        if previous and previous != current:
            # The last run's image, untagged by this build (not its cached layers).
            podman("rmi", previous, check=False, quiet=True)


# --- the compose copy ---------------------------------------------------------------------------
def compose_copy(workdir: Path, images: dict[str, str], port: int) -> None:
    """docker-compose.yml and a filled-in .env.example, written to ``workdir``, with what
    compose 1.29 and this machine need changed, each change printed."""
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    patches = []
    if doc.pop("name", None) is not None:
        patches.append("top-level `name:` dropped (compose 1.29 rejects it; -p sets the project)")
    for key in [k for k in doc if k.startswith("x-")]:
        del doc[key]  # merged into the services already by the YAML loader
    services = doc["services"]
    for name, service in services.items():
        if "build" in service:
            service["build"] = {"context": str(ROOT), "dockerfile": str(DOCKERFILE)}
            service["image"] = APP_IMAGE
        if service.get("env_file") in (".env", [".env"]):
            service["env_file"] = str(workdir / ".env")
        test = service.get("healthcheck", {}).get("test")
        if isinstance(test, list) and test[0] == "CMD" and any(
                re.search(r"\s", str(arg)) for arg in test[1:]):
            service["healthcheck"]["test"] = ["CMD-SHELL", shlex.join(map(str, test[1:]))]
            patches.append(f"{name}: healthcheck CMD [...] -> the same argv as CMD-SHELL "
                           "(podman 4.3's Docker API splits CMD arguments at spaces, "
                           "podman#26519)")
        volumes = service.get("volumes") or []
        absolute = [str(ROOT / v[2:]) if isinstance(v, str) and v.startswith("./") else v
                    for v in volumes]
        if absolute != volumes:
            service["volumes"] = absolute
            patches.append(f"{name}: bind mounts of the repository's files as absolute paths")
        official = service.get("image")
        for standin, (stands_for, _, _) in STANDINS.items():
            if official == stands_for:
                service["image"] = images[standin]
                patches.append(f"{name}: image {official} -> the stand-in {images[standin]}")
    patches.append(f"app services: image {APP_IMAGE} (built above; `up --no-build`), "
                   "build context and env_file as absolute paths")
    (workdir / "docker-compose.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for patch in patches:
        log(f"  compose copy: {patch}")

    values = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "BASE_DOMAIN": BASE_DOMAIN,
        "POSTGRES_PASSWORD": (password := secrets.token_urlsafe(16)),
        "DATABASE_URL": f"postgres://saas:{password}@postgres:5432/saas",
        # Two processes each are plenty here (the defaults size for the host's CPUs).
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "1",
        "WEB_PORT": str(port),
        # The check drives the operator API as a script signed in with a password; operators'
        # two-factor (on by default in production) is tested by the suite instead
        # (tests/console/test_console_access.py).
        "OPERATOR_MFA_REQUIRED": "false",
    }
    lines, seen = [], set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match and match.group(1) in values:
            lines.append(f"{match.group(1)}={values[match.group(1)]}")
            seen.add(match.group(1))
        else:
            lines.append(line)
    lines += [f"{k}={v}" for k, v in values.items() if k not in seen]
    (workdir / ".env").write_text("\n".join(lines) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the running stack --------------------------------------------------------------------------
class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.service: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._healthchecks: threading.Thread | None = None

    def compose(self, *args: str, timeout: float = 300, check: bool = True,
                ) -> subprocess.CompletedProcess:
        return run(["docker-compose", "-p", PROJECT, "-f", str(self.workdir / "docker-compose.yml"),
                    "--project-directory", str(self.workdir), *args], env=_env(self.workdir),
                   timeout=timeout, check=check, cwd=self.workdir)

    def start_engine(self) -> None:
        sock = self.workdir / "podman.sock"
        # Exits by itself after 15 idle minutes should this run be killed before its teardown
        # (which stops it at once); `stop` kills it by its pid file too.
        self.service = subprocess.Popen(
            ["podman", "system", "service", "--time=900", f"unix://{sock}"], env=_env(),
            stdout=subprocess.DEVNULL, stderr=open(self.workdir / "podman-service.log", "w"),  # noqa: SIM115
            start_new_session=True)
        SERVICE_PID.write_text(str(self.service.pid))
        deadline = time.monotonic() + 30
        while not self._ping(sock):
            if self.service.poll() is not None or time.monotonic() > deadline:
                raise StepFailed("podman system service did not answer: "
                                 + (self.workdir / "podman-service.log").read_text()[-2000:])
            time.sleep(0.3)
        self._healthchecks = threading.Thread(target=self._run_healthchecks, daemon=True)
        self._healthchecks.start()

    @staticmethod
    def _ping(sock: Path) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(5)
                s.connect(str(sock))
                s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return s.recv(64).split(b" ")[1:2] == [b"200"]
        except OSError:
            return False

    def _run_healthchecks(self) -> None:
        """podman's healthcheck timer: there is no systemd here to run it."""
        while not self._stop.wait(3):
            listed = podman("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                            check=False, quiet=True)
            for container in listed.stdout.split():
                if self._stop.is_set():
                    return
                podman("healthcheck", "run", container, check=False, quiet=True, timeout=30)

    def containers(self, service: str) -> list[str]:
        listed = podman("ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                        "--filter", f"label=com.docker.compose.service={service}")
        return listed.stdout.split()

    def inspect(self, service: str, template: str) -> str:
        (container,) = self.containers(service)[:1] or [""]
        if not container:
            raise StepFailed(f"no {service} container")
        return podman("inspect", "--format", template, container).stdout.strip()

    def logs(self, service: str, lines: int = 40) -> str:
        return "".join(podman("logs", "--tail", str(lines), container, check=False,
                              quiet=True, timeout=60).stdout
                       for container in self.containers(service))

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10",
                         check=False, timeout=180)
        if self.service is not None and self.service.poll() is None:
            os.killpg(self.service.pid, signal.SIGTERM)
            try:
                self.service.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.service.pid, signal.SIGKILL)
                self.service.wait()
        SERVICE_PID.unlink(missing_ok=True)
        if self._healthchecks is not None:
            self._healthchecks.join(40)
        remove_leftovers()


def remove_leftovers() -> None:
    """Containers, networks and volumes of this checkout's stack (an interrupted run)."""
    if SERVICE_PID.is_file():
        with contextlib.suppress(ValueError, OSError):
            pid = int(SERVICE_PID.read_text())
            if "podman" in Path(f"/proc/{pid}/cmdline").read_text():
                os.killpg(pid, signal.SIGTERM)
        SERVICE_PID.unlink(missing_ok=True)
    if shutil.which("podman") is None:
        return
    project = f"label=com.docker.compose.project={PROJECT}"
    for kind in ("container", "network", "volume"):
        listed = podman(kind, "ls", "-q", *(["-a"] if kind == "container" else []),
                        "--filter", project, check=False, quiet=True)
        ids = listed.stdout.split() if listed.returncode == 0 else []
        if ids:
            podman(kind, "rm", "-f", *ids, check=False, timeout=120)


# --- HTTP from outside --------------------------------------------------------------------------
class Client:
    """Just enough of a browser, talking to the published web port with a given Host. Requests
    go as if through the TLS-terminating proxy (X-Forwarded-Proto: https), so the production
    settings are exercised unchanged (HTTPS redirect, secure cookies, CSRF origin checks)."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": self.host, "X-Forwarded-Proto": "https",
                       "Referer": f"https://{self.host}{path}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and "csrftoken" in self.cookies:
            all_headers["X-CSRFToken"] = self.cookies["csrftoken"]
        payload = None
        if isinstance(body, dict):
            payload = json.dumps(body)
            all_headers["Content-Type"] = "application/json"
        elif isinstance(body, str):
            payload = body
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.partition(";")[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method: str, path: str, body: dict | None = None,
             expect: int = 200) -> dict:
        status, _, data = self.request(method, path, body)
        if status != expect:
            raise StepFailed(f"{method} {self.host}{path}: {status} (expected {expect}): "
                             f"{data[:500].decode(errors='replace')}")
        return json.loads(data) if data else {}

    def sign_in(self, path: str, email: str, password: str) -> None:
        status, _, page = self.request("GET", path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise StepFailed(f"GET {self.host}{path}: {status}, no sign-in form")
        form = {"csrfmiddlewaretoken": token.group(1).decode(), "login": email,
                "password": password}
        status, headers, page = self.request("POST", path, urllib.parse.urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise StepFailed(f"POST {self.host}{path}: {status}, not signed in "
                             f"(Location: {headers.get('location')})")


def wait_for(what: str, probe, timeout: float, interval: float = 1.0):
    """probe() returns a truthy value when done, raises StepFailed to give up."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, http.client.HTTPException) as exc:
            value, last = None, exc
        if value:
            return value
        time.sleep(interval)
    raise StepFailed(f"{what}: not within {timeout:.0f} s" + (f" (last: {last})" if last else ""))


# --- the checks ---------------------------------------------------------------------------------
def check_stack(stack: Stack, port: int) -> None:
    with step("start postgres and redis, wait until healthy (podman healthcheck run)"):
        stack.compose("up", "-d", "--no-build", "postgres", "redis", timeout=300)
        for service in ("postgres", "redis"):
            wait_for(f"{service} healthy",
                     lambda s=service: stack.inspect(s, "{{.State.Health.Status}}") == "healthy",
                     120)

    with step("migrate: `manage.py migrate_all` exits 0"):
        # `up` of the app services runs migrate first (service_completed_successfully).
        stack.compose("up", "-d", "--no-build", timeout=600)
        code = wait_for("migrate exited", lambda: stack.inspect(
            "migrate", "{{.State.Status}} {{.State.ExitCode}}").startswith("exited")
            and stack.inspect("migrate", "{{.State.ExitCode}}"), 300)
        if code != "0":
            raise StepFailed(f"migrate exited {code}:\n{stack.logs('migrate')}")

    with step("web, worker and beat running; web healthy"):
        for service in ("web", "worker", "beat"):
            status = stack.inspect(service, "{{.State.Status}}")
            if status != "running":
                raise StepFailed(f"{service} is {status}:\n{stack.logs(service)}")
        wait_for("web healthy",
                 lambda: stack.inspect("web", "{{.State.Health.Status}}") == "healthy", 120)

    public = Client(port, BASE_DOMAIN)
    with step(f"GET /healthz and /readyz on the published port {port} (any Host)"):
        for path in ("/healthz", "/readyz"):
            for client in (public, Client(port, "10.0.0.7:8000")):
                status, _, body = client.request("GET", path)
                if status != 200:
                    raise StepFailed(f"{path} (Host {client.host}): {status} {body[:300]!r}")

    email, password = "ops@platform.test", secrets.token_urlsafe(16)
    with step("operator: createsuperuser in the web container, sign in to the console"):
        (web,) = stack.containers("web")[:1]
        podman("exec", "-e", f"DJANGO_SUPERUSER_EMAIL={email}",
               "-e", f"DJANGO_SUPERUSER_PASSWORD={password}", web,
               "python", "manage.py", "createsuperuser", "--noinput", timeout=120)
        public.sign_in("/accounts/login/?next=/console/", email, password)

    slug, owner, owner_password = "deploycheck", "owner@deploycheck.test", secrets.token_urlsafe(16)
    with step(f"operator API: provision tenant {slug!r} (a Celery job in the worker)"):
        answer = public.json("POST", "/api/operator/v1/tenants",
                             {"slug": slug, "name": "Deploy check", "owner_email": owner,
                              "owner_password": owner_password}, expect=202)
        job_path = urllib.parse.urlparse(answer.get("Location") or
                                         f"/api/operator/v1/jobs/{answer['job_id']}").path

        def provisioned():
            job = public.json("GET", job_path)
            if job["state"] == "FAILURE":
                raise StepFailed(f"provisioning failed: {job}")
            return job["state"] == "SUCCESS"
        wait_for("provisioning job done", provisioned, 180, 2)
        ran_in_worker(stack, "tenants.provision")
        tenant = public.json("GET", f"/api/operator/v1/tenants/{slug}")
        if tenant["state"] != "active":
            raise StepFailed(f"tenant is {tenant['state']}: {tenant}")

    tenant_client = Client(port, f"{slug}.{BASE_DOMAIN}")
    with step(f"tenant API through the web container: owner signs in at {slug}.{BASE_DOMAIN}"):
        tenant_client.sign_in("/accounts/login/", owner, owner_password)
        me = tenant_client.json("GET", "/api/v1/me")
        if owner not in json.dumps(me):
            raise StepFailed(f"/api/v1/me does not name the owner: {me}")
        products = tenant_client.json("GET", "/api/v1/inventory/products")
        log(f"  /api/v1/me: {owner}; /api/v1/inventory/products: {products.get('count')} item(s)")

    with step("Celery job in the worker: inventory export finishes, its CSV downloads"):
        job = tenant_client.json("POST", "/api/v1/inventory/exports", {"kind": "products"},
                                 expect=202)

        def finished():
            state = tenant_client.json("GET", f"/api/v1/jobs/{job['id']}")
            if state["status"] == "failed":
                raise StepFailed(f"export failed: {state.get('error')}")
            return state["status"] == "succeeded"
        wait_for("export job succeeded", finished, 120, 1)
        ran_in_worker(stack, "inventory.run_export")
        status, headers, data = tenant_client.request("GET", f"/api/v1/jobs/{job['id']}/download")
        if status != 200 or b"," not in data.partition(b"\n")[0]:
            raise StepFailed(f"download: {status} {headers.get('content-type')} {data[:200]!r}")

    with step("no errors in the logs of migrate, web, worker and beat"):
        for service in ("migrate", "web", "worker", "beat"):
            errors = [line for line in stack.logs(service, 10_000).splitlines()
                      if re.search(r"Traceback|\bERROR\b|CRITICAL", line)]
            if errors:
                raise StepFailed(f"{service}:\n" + "\n".join(errors[:20]))


def ran_in_worker(stack: Stack, task: str) -> None:
    """The task ran in the worker container (not eagerly, not elsewhere): Celery logs it."""
    pattern = re.compile(rf"Task {re.escape(task)}\[[^\]]+\] succeeded")
    wait_for(f"worker log: {task} succeeded",
             lambda: pattern.search(stack.logs("worker", 10_000)), 20)
    log(f"  worker container log: {task} succeeded")


def run_tests(args: list[str]) -> int:
    """The whole check; 0 with a clear line when this machine cannot run it (a skip)."""
    reason = unavailable()
    if reason:
        log(f"SKIPPED the container stack check: {reason}")
        return 0
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="saas-deploytest-"))
    stack = Stack(workdir)
    failed: str | None = None
    try:
        remove_leftovers()
        base = ensure_base()
        images = {name: ensure_standin(name, base) for name in STANDINS}
        build_app(images["python"])
        port = free_port()
        with step("compose copy for docker-compose 1.29 in " + str(workdir)):
            compose_copy(workdir, images, port)
        with step("podman system service for docker-compose"):
            stack.start_engine()
        check_stack(stack, port)
    except StepFailed as exc:
        failed = str(exc)
    except subprocess.TimeoutExpired as exc:
        failed = f"timed out: {' '.join(map(str, exc.cmd[:4]))} after {exc.timeout} s"
    finally:
        if failed and stack.service is not None:
            for service in ("migrate", "web", "worker"):
                log(f"--- last log lines of {service} ---\n{stack.logs(service, 25)}")
        if failed and os.environ.get("DEPLOY_KEEP") and stack.service is not None:
            log(f"DEPLOY_KEEP: left running for a look: {workdir}, podman service pid "
                f"{stack.service.pid} (kill it, then `python -m devtools.deploy stop`)")
        else:
            with step("tear down: containers, networks, volumes, the podman service"):
                stack.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        log(f"FAILED at step {failed}")
        return 1
    log(f"container stack check passed in {time.monotonic() - started:.0f} s")
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "test":
        return run_tests(argv[1:])
    if command == "stop":
        if os.geteuid() == 0:
            remove_leftovers()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
