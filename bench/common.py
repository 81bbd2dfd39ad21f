"""What the benchmarks share: gunicorn on loopback, wrk and its sign script, the flask command, the CSV download.

Every server runs with the same gunicorn settings, so that the hello-world ceiling (bench/hello.py)
and Groundswell are measured alike.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark-only-secret-key-0123456789abcdef"
# Signing with every trust feature off: no confirmation email, no rate limit, no cap per address,
# no minimum time on the form. What is left is the work of signing itself.
TRUST_OFF = {
    "SIGNATURE_CONFIRMATION": "none",
    "RATELIMIT_ENABLED": "false",
    "SIGNATURE_IP_CAP_PER_HOUR": "0",
    "SIGN_FORM_MIN_SECONDS": "0",
}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WRK_MISSING = (
    "wrk, the HTTP load generator, is needed and was not found on PATH.\n"
    "Install it: apt-get update && apt-get install -y wrk (Debian, Ubuntu), or brew install wrk (macOS)."
)


def require_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit(WRK_MISSING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving ``app`` on a free loopback port, with the same settings for every app measured."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int, threads: int, log: Path):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = log
        # gthread: a long download (the CSV export) keeps one thread busy, not the whole worker.
        self.command = [sys.executable, "-m", "gunicorn", app, "--bind", self.url.removeprefix("http://"),
                        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
                        "--timeout", "300", "--log-level", "warning"]  # fmt: skip
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=output, stderr=output)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2)
                return self
            except urllib.error.HTTPError:
                return self  # it answers (a 404 is fine)
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(f"gunicorn did not start; see {self.log}") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def workers(self) -> list[int]:
        pid = self.process.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker process, in MB (Linux)."""
        sizes = {}
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes


def http_status(url: str) -> int:
    """The HTTP status of one GET (redirects not followed)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    script: Path | None = None,
    headers: tuple[str, ...] = (),
) -> dict[str, float]:
    """Requests per second, latency percentiles and errors of one wrk run; any 4xx or 5xx stops the benchmark."""
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s"]  # fmt: skip
    if script:
        command += ["-s", str(script)]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        raise RuntimeError(f"{url} answered errors:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": milliseconds(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }
    answers = re.search(r"^ANSWERS (\{.*\})$", output, re.MULTILINE)
    if answers:
        result.update(json.loads(answers.group(1)))
    return result


def milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


# --- Signing under wrk ----------------------------------------------------------------------------
# Each form of the pool is one browser's session cookie and the sign form as that browser got it
# (CSRF token, the form's time stamp, every demand ticked). wrk's connections take the forms in
# turn, each request with a new address, and count the answers: a 303 is a signature taken.

SIGN_SCRIPT = """
local forms = %(forms)s
local path = %(path)s
local prefix = %(prefix)s
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  sent, see_other, other = 0, 0, 0
end

function request()
  sent = sent + 1
  local form = forms[(sent + id) %% #forms + 1]
  local body = form.body .. "&email=" .. prefix .. "-" .. id .. "-" .. sent .. "%%40example.org"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = form.cookie,
  }, body)
end

function response(status, headers, body)
  if status == 303 then see_other = see_other + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local totals = {sent = 0, see_other = 0, other = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do totals[key] = totals[key] + thread:get(key) end
  end
  io.write(string.format('ANSWERS {"sent": %%d, "see_other": %%d, "other": %%d}\\n',
                         totals.sent, totals.see_other, totals.other))
end
"""


def sign_forms(server: str, slug: str, count: int = 1) -> list[dict[str, str]]:
    """``count`` browsers open the petition page: each one's session cookie and filled sign form (without email)."""
    forms = []
    for _ in range(count):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = browser.open(f"{server}/petitions/{slug}").read().decode()
        fields = {
            "csrf_token": TOKEN.search(page).group(1),
            "shown": re.search(r'name="shown" type="hidden" value="([^"]+)"', page).group(1),
            "name": "Bench Signer",
            "city": "Chicago",
            "country": "US",
        }
        demands = re.findall(r'name="demands" type="checkbox" value="(\d+)"', page)
        body = urllib.parse.urlencode([*fields.items(), *(("demands", demand) for demand in demands)])
        forms.append({"cookie": "; ".join(f"{c.name}={c.value}" for c in jar), "body": body})
    return forms


def sign_script(path: str, forms: list[dict[str, str]], scratch: Path) -> Path:
    """A wrk script posting ``forms`` in turn to ``path``, each request with an address never used before."""
    prefix = uuid.uuid4().hex[:10]
    script = scratch / f"sign-{prefix}.lua"
    values = {"forms": lua(forms), "path": lua(path), "prefix": lua(prefix)}
    script.write_text(SIGN_SCRIPT % values)
    return script


def lua(value: object) -> str:
    """A Lua literal of strings, lists and string-keyed tables (ASCII only: cookies, URL-encoded forms)."""
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError(f"not ASCII: {value!r}")
        return json.dumps(value)  # an ASCII JSON string is a Lua string too
    if isinstance(value, list):
        return "{" + ", ".join(lua(item) for item in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(key)}] = {lua(item)}" for key, item in value.items()) + "}"
    raise TypeError(type(value))


# --- The flask command and the CSV export ---------------------------------------------------------


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app wsgi ARGS`` in the repository; its output, or an error with everything it said."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def log_in(client, email: str, password: str) -> None:
    """Log an httpx client in as an organizer."""
    token = TOKEN.search(client.get("/organize/login").text).group(1)
    answer = client.post("/organize/login", data={"email": email, "password": password, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"organizer login failed: {answer.status_code}")


def download(client, path: str, server: Server | None = None) -> dict[str, float]:
    """Stream a CSV to the end, counting rows; sample the workers' memory meanwhile if given a server."""
    before = server.rss_mb() if server else {}
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for pid, size in server.rss_mb().items():
                peak[pid] = max(peak.get(pid, 0), size)

    sampler = threading.Thread(target=sample)
    if server:
        sampler.start()
    started = time.perf_counter()
    first_byte, lines, size, last = None, 0, 0, b""
    try:
        with client.stream("GET", path) as response:
            response.raise_for_status()
            for chunk in response.iter_raw(256 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                # Rows end in CRLF (line breaks inside comments are bare LF); a CRLF may straddle two chunks.
                lines += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
                last = chunk[-1:]
                size += len(chunk)
        seconds = time.perf_counter() - started
    finally:
        done.set()
        if server:
            sampler.join()
    growth = max((peak[pid] - before.get(pid, peak[pid]) for pid in peak), default=0.0)
    return {"lines": lines, "bytes": size, "seconds": seconds, "first_byte_seconds": first_byte or 0.0,
            "memory_before_mb": max(before.values(), default=0.0), "memory_growth_mb": growth}  # fmt: skip
