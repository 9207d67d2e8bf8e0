"""Shared pieces of the benchmarks and drills: a PostgreSQL database of their own,
gunicorn on a free local port, wrk, and signed Stripe events.

Everything runs against 127.0.0.1 only, for a bounded time, and stops by itself.
"""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
WEBHOOK_SECRET = "whsec_bench"


def bench_env(database, **extra):
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1:8000",
        DATABASE_URL=f"{PG_ADMIN_URL}/{database}",
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_PRODUCT_ID="prod_bench",
        MAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        # As in production: receipts are queued in the database for db_worker.
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        DJANGO_SETTINGS_MODULE="oca_site.settings",
    )
    env.update(extra)
    return env


def monthly_pledges(campaign, count, *, who, amount):
    """`count` open monthly pledges to `campaign`, each from a new donor ("<who> donor 3",
    <who>3@example.org); `amount(i)` gives the i-th pledge's cents. Needs Django set up."""
    from donations.models import Donor, Pledge

    donors = Donor.objects.bulk_create(
        Donor(name=f"{who.title()} donor {i}", email=f"{who}{i}@example.org") for i in range(count)
    )
    return Pledge.objects.bulk_create(
        Pledge(
            campaign=campaign,
            donor=donor,
            name=donor.name,
            email=donor.email,
            frequency="monthly",
            gift_cents=amount(i),
            amount_cents=amount(i),
            status="open",
        )
        for i, donor in enumerate(donors)
    )


def psql(sql, database="postgres", admin_url=None):
    url = f"{admin_url or PG_ADMIN_URL}/{database}"
    subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True
    )


def fresh_database(name, admin_url=None):
    """Drops and recreates database `name` and migrates it (on `admin_url`'s server)."""
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url=admin_url)
    psql(f'CREATE DATABASE "{name}"', admin_url=admin_url)
    extra = {"DATABASE_URL": f"{admin_url}/{name}"} if admin_url else {}
    manage(["migrate", "--no-input", "-v0"], bench_env(name, **extra))


def kept_or_fresh_database(name, env, *, reuse):
    """With `reuse`, migrates database `name` if it exists and returns True; otherwise
    (or when it does not exist) makes it afresh and returns False."""
    if reuse:
        try:
            psql("SELECT 1", database=name)
        except subprocess.CalledProcessError:
            print(f"no database {name} to reuse: making it", flush=True)
        else:
            manage(["migrate", "--no-input", "-v0"], env)
            return True
    fresh_database(name)
    return False


def manage(args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(env, *, workers=1, port=None, urlconf=None, log=None, access_log=None):
    """Serves the site with gunicorn on 127.0.0.1; yields its base URL. With
    `access_log`, gunicorn writes a line per request to that file."""
    port = port or free_port()
    if urlconf:
        env = dict(env, BENCH_URLCONF=urlconf)
    command = [
        PYTHON, "-m", "gunicorn", "bench.wsgi" if urlconf else "oca_site.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    if access_log:
        command += ["--access-logfile", str(access_log)]
    return _serving(command, env, port, ready="/healthz", log=log)


def stripe_standin(webhook_url, *, port=None, log=None):
    """Runs the Stripe stand-in (`manage.py stripe_standin`) on 127.0.0.1, signing its
    events with WEBHOOK_SECRET and sending them to `webhook_url`; yields its base URL.

    The command refuses to start with DEBUG off, so its own process has DEBUG on; the
    site it sends to keeps its own settings.
    """
    port = port or free_port()
    env = dict(os.environ, DEBUG="true", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    command = [PYTHON, "manage.py", "stripe_standin", "--port", str(port),
               "--webhook-url", webhook_url]  # fmt: skip
    return _serving(command, env, port, ready="/", log=log)


@contextlib.contextmanager
def _serving(command, env, port, *, ready, log):
    """Runs `command`, a server on 127.0.0.1:`port`, until the block ends; yields its
    base URL once `ready` answers."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + ready, timeout=30)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# deploy/nginx.conf listens here; a local run listens on a free port instead.
NGINX_LISTEN = "    listen 8080;\n"


def nginx_binary():
    """Debian's nginx (scripts/install-test-tools installs it); /usr/sbin is not on
    every user's PATH."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if not found:
        raise RuntimeError("nginx not found: apt-get install -y nginx (scripts/install-test-tools)")
    return found


def nginx_version():
    output = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True).stderr
    return output.strip().rsplit("/", 1)[-1]


def nginx_config(folder, *, upstream, port):
    """Writes deploy/nginx.conf into `folder`, changed only to listen on 127.0.0.1:`port`,
    with an upstream.conf beside it naming `upstream` ("127.0.0.1:8000"); returns the
    path of the copy. Everything else, the cache included, is as deployed."""
    text = NGINX_CONF.read_text()
    if text.count(NGINX_LISTEN) != 1:
        raise RuntimeError(f"{NGINX_CONF} no longer has exactly one {NGINX_LISTEN.strip()!r}")
    config = Path(folder) / "nginx.conf"
    config.write_text(text.replace(NGINX_LISTEN, f"    listen 127.0.0.1:{port};\n"))
    (Path(folder) / "upstream.conf").write_text(f"server {upstream};\n")
    return config


@contextlib.contextmanager
def nginx(upstream, *, port=None, access_log=None):
    """Runs deploy/nginx.conf (see nginx_config) in a temporary folder, its prefix, in
    front of `upstream`; yields its base URL. Its access log (stdout) goes to
    `access_log`, or into the folder; errors to the folder's error.log, shown if nginx
    fails to start."""
    import tempfile

    port = port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench_nginx_"))
    # Run as root, nginx's workers are `nobody` (the configuration names no user): they
    # must reach the cache folder inside this one.
    folder.chmod(0o755)
    config = nginx_config(folder, upstream=upstream, port=port)
    command = [nginx_binary(), "-p", f"{folder}/", "-c", str(config),
               "-g", f"daemon off; pid {folder}/nginx.pid;"]  # fmt: skip
    errors = folder / "error.log"
    with open(access_log or folder / "access.log", "ab") as out, open(errors, "ab") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx stopped at start:\n{errors.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen within 10 s:\n{errors.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


# What a browser sends: pages then go out compressed, as visitors get them.
BROWSER_HEADERS = ("Accept-Encoding: gzip, deflate, br, zstd",)


def wrk(
    url,
    *,
    seconds=15,
    connections=20,
    threads=2,
    script=None,
    script_args=(),
    raw=False,
    headers=BROWSER_HEADERS,
):
    """Runs wrk; returns requests per second and latency percentiles in ms.

    `script_args` go to the Lua script's init(args); with `raw`, returns (figures, output)
    so that a script's own report (printed from done()) can be read too. `headers` are
    sent with every request.
    """
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    return (parse_wrk(output), output) if raw else parse_wrk(output)


def parse_wrk(output):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+(?:us|ms|s))", output)
        result[f"p{pct}_ms"] = ms(match.group(1)) if match else None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    return result


def signed_event_body(event):
    sys.path.insert(0, str(ROOT))
    from devtools.stripe_standin.signing import sign_payload

    body = json.dumps(event).encode()
    return body, sign_payload(body, WEBHOOK_SECRET)


def machine():
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{cpu} cores, Python {sys.version.split()[0]}"


# Stripe events for the drills ------------------------------------------------------
# The smallest objects the webhook books from, in the current API's shapes (an
# invoice links to its subscription through parent.subscription_details).


def stripe_event(event_type, obj, event_id, created=None):
    from donations.stripe_gateway import API_VERSION

    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "type": event_type,
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def paid_invoice(invoice_id, *, subscription_id, pledge_id, amount, first, payment_intent_id):
    """An `invoice.paid` object: the first charge of a monthly gift or a renewal."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "amount_paid": amount,
        "amount_due": amount,
        "currency": "usd",
        "status": "paid",
        "billing_reason": "subscription_create" if first else "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription_id,
                "metadata": {"pledge_id": str(pledge_id)},
            },
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}}],
        },
        "status_transitions": {"paid_at": int(time.time())},
    }


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def log_errors(path):
    """The exceptions a gunicorn log shows, counted by their last traceback line."""
    from collections import Counter

    found = Counter()
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return found
    for line in lines:
        match = re.match(r"^([\w.]+(?:Error|Exception|Deadlock\w*|Violation\w*)): (.{0,100})", line)
        if match:
            found[f"{match.group(1)}: {match.group(2)}"] += 1
    return found


class PrivateCluster:
    """A PostgreSQL cluster of its own in a temporary folder, on a free local port.

    For drills that stop the database: the machine's PostgreSQL (5432) serves other
    work and must never be stopped. As root, the cluster runs as the `postgres` user
    (initdb refuses root). Use as a context manager; `stop()` and `start()` in between.
    """

    BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))

    def __init__(self):
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.folder = None

    def _run(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True)

    def __enter__(self):
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="bench_pg_"))
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(self.BIN / "initdb", "-D", self.folder / "data", "-U", "postgres",
                  "--auth=trust", "--no-sync")  # fmt: skip
        self.start()
        return self

    def start(self):
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        self._run(self.BIN / "pg_ctl", "-D", self.folder / "data", "-o", options,
                  "-l", self.folder / "server.log", "-w", "start")  # fmt: skip

    def stop(self):
        self._run(self.BIN / "pg_ctl", "-D", self.folder / "data", "-m", "fast", "-w", "stop")

    def __exit__(self, *exc_info):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
