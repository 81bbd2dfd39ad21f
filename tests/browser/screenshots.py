"""The README's screenshots, remade from the demo: `make screenshots` (not part of `make test`).

    .venv/bin/python tests/browser/screenshots.py [--signatures 12000] [--out static/img/screenshots]

Builds a throw-away SQLite database through the migrations, loads the demo campaign (`seed-demo`)
and realistic signatures (`seed-signatures wechoose N --seed 1`), creates an organizer
(`create-organizer ... --password-stdin`), serves the app on a loopback port and has the system's
Chromium (CHROMIUM, as for the browser tests) write PNGs of the petition page at desktop and phone
width, of its support by city, and of the organizer's dashboard.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, new_page  # noqa: E402

SLUG = "wechoose"
ORGANIZER = "olga@example.org"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
# The phone's is of the whole page (unless it grows past this height); the desktop's, of the first screen.
PHONE_MAX_HEIGHT = 8000


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app wsgi ARGS``, as a person setting up the demo would."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def environment(database: Path) -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")},
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{database}",
        "SIGNATURE_CONFIRMATION": "none",
        "RATELIMIT_ENABLED": "false",
        # The links the pages show (share, embed) as `make run` serves them, whatever port is used here.
        "BASE_URL": "http://127.0.0.1:5000",
    }


def prepare(env: dict[str, str], signatures: int) -> str:
    """The demo with ``signatures`` signers and an organizer; the organizer's password."""
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    print(flask(env, "seed-signatures", SLUG, str(signatures), "--seed", "1").strip().splitlines()[-1])
    password = secrets.token_urlsafe(16)
    flask(env, "create-organizer", ORGANIZER, "--coalition", "wechoose-coalition", "--role", "owner",
          "--name", "Olga Ortiz", "--password-stdin", stdin=password + "\n")  # fmt: skip
    return password


def shoot(env: dict[str, str], password: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from petitions import create_app

    app = create_app(env)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    written = []
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def save(page, name: str, max_height: int) -> None:
            """The top of the page, down to ``max_height`` pixels or to its end if it is shorter."""
            path = out / name
            size = page.viewport_size
            end = "Math.ceil(Math.max(...[...document.body.children].map(e => e.getBoundingClientRect().bottom)))"
            height = min(page.evaluate(end), max_height)
            clip = {"x": 0, "y": 0, "width": size["width"], "height": height}
            page.screenshot(path=path, full_page=True, clip=clip, animations="disabled", caret="hide")
            written.append(path)

        desktop = new_page(browser, viewport=DESKTOP)
        desktop.goto(f"{server.url}/petitions/{SLUG}")
        save(desktop, "petition-desktop.png", DESKTOP["height"])
        desktop.goto(f"{server.url}/petitions/{SLUG}/cities")
        save(desktop, "cities.png", 1200)  # the chart and the first rows of the table

        desktop.goto(f"{server.url}/organize/login")
        desktop.get_by_label("Email address").fill(ORGANIZER)
        desktop.get_by_label("Password").fill(password)
        desktop.get_by_role("button", name="Log in").click()
        desktop.wait_for_url(f"{server.url}/organize/")
        save(desktop, "organizer-dashboard.png", DESKTOP["height"])

        phone = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
        phone.goto(f"{server.url}/petitions/{SLUG}")
        save(phone, "petition-phone.png", PHONE_MAX_HEIGHT)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=12_000, help="signatures to seed (default 12000)")
    parser.add_argument("--out", type=Path, default=ROOT / "static" / "img" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="groundswell-screenshots-") as scratch:
        env = environment(Path(scratch) / "screenshots.sqlite3")
        print(f"Seeding the demo with {args.signatures:,} signatures...", flush=True)
        password = prepare(env, args.signatures)
        for path in shoot(env, password, args.out):
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"Wrote {shown} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
