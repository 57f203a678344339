#!/usr/bin/env python3
"""Seed the FitCore benchmark dataset through the public HTTP API only.

Python 3.11 standard library only (urllib + concurrent.futures); never touches
the database directly, so it can drive any implementation of API.md.

Current stage: users. Registers N deterministic users (bench-user-0001@example.com,
...) via POST /api/v1/auth/register/; a 409 (already registered) falls back to
POST /api/v1/auth/login/. Writes one refresh token per line, in user order, to
--out. With --login-only every user is logged in (no registration), which
hands out a fresh, never-used refresh token per user: run.sh uses that after
a B7 warm-up has rotated (and blacklisted) the previous tokens.

Later workloads (B1-B6, B8) add their own seeding stages here, each a function
taking the same Client, selected by a flag.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

DEFAULT_BASE_URL = "http://127.0.0.1:18080"
DEFAULT_PASSWORD = "Bench-Passw0rd!x"
DEFAULT_SEED = 20261126
MAX_ATTEMPTS = 5  # per request, for 429 / 503 / connection errors only

FIRST_NAMES = [
    "Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace",
    "Hedy", "Ivan", "Joan", "Ken", "Linus", "Margaret", "Niklaus", "Radia",
    "Sophie", "Tim", "Whitfield", "Yukihiro",
]
LAST_NAMES = [
    "Allen", "Backus", "Cerf", "Dijkstra", "Engelbart", "Floyd", "Goldberg",
    "Hopper", "Iverson", "Kernighan", "Lamport", "Liskov", "McCarthy",
    "Perlman", "Ritchie", "Shannon", "Thompson", "Torvalds", "Wirth", "Wilson",
]


class SeedError(Exception):
    pass


@dataclass(frozen=True)
class User:
    index: int  # 1-based
    email: str
    first_name: str
    last_name: str


def bench_users(count: int, seed: int) -> list[User]:
    """The deterministic user list: same seed and count, same users."""
    rng = random.Random(seed)
    width = max(4, len(str(count)))
    users = []
    for i in range(1, count + 1):
        users.append(
            User(
                index=i,
                email=f"bench-user-{i:0{width}d}@example.com",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
            )
        )
    return users


class Client:
    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        """POST JSON; returns (status, decoded body). Retries 429/503 and
        connection errors a bounded number of times."""
        data = json.dumps(payload).encode()
        last_error = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            req = urllib.request.Request(
                self.base_url + path,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            retry_after = 0.5 * attempt
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.status, _decode(resp.read())
            except urllib.error.HTTPError as err:
                body = _decode(err.read())
                if err.code not in (429, 503):
                    return err.code, body
                last_error = f"HTTP {err.code} {body.get('code', '')}"
                try:
                    retry_after = max(retry_after, float(err.headers.get("Retry-After", "0")))
                except ValueError:
                    pass
            except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                last_error = f"{type(err).__name__}: {err}"
            if attempt < MAX_ATTEMPTS:
                time.sleep(min(retry_after, 10.0))
        raise SeedError(f"POST {path}: giving up after {MAX_ATTEMPTS} attempts ({last_error})")


def _decode(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"_raw": raw[:200].decode(errors="replace")}
    return value if isinstance(value, dict) else {"_value": value}


def _refresh_from(status: int, body: dict, what: str, email: str) -> str:
    token = body.get("refresh")
    if not isinstance(token, str) or not token:
        raise SeedError(f"{what} {email}: HTTP {status} without a refresh token: {body}")
    return token


def login(client: Client, user: User, password: str) -> str:
    status, body = client.post_json(
        "/api/v1/auth/login/", {"email": user.email, "password": password}
    )
    if status != 200:
        raise SeedError(f"login {user.email}: expected 200, got {status}: {body}")
    return _refresh_from(status, body, "login", user.email)


def register_or_login(client: Client, user: User, password: str) -> tuple[str, str]:
    status, body = client.post_json(
        "/api/v1/auth/register/",
        {
            "email": user.email,
            "password": password,
            "first_name": user.first_name,
            "last_name": user.last_name,
        },
    )
    if status == 201:
        return "registered", _refresh_from(status, body, "register", user.email)
    if status == 409:
        return "logged_in", login(client, user, password)
    raise SeedError(f"register {user.email}: expected 201 or 409, got {status}: {body}")


def seed_users(args: argparse.Namespace) -> int:
    client = Client(args.base_url, args.timeout)
    users = bench_users(args.users, args.seed)
    tokens: list[str | None] = [None] * len(users)
    counts = {"registered": 0, "logged_in": 0}
    lock = threading.Lock()
    started = time.monotonic()

    def one(user: User) -> None:
        if args.login_only:
            kind, token = "logged_in", login(client, user, args.password)
        else:
            kind, token = register_or_login(client, user, args.password)
        tokens[user.index - 1] = token
        with lock:
            counts[kind] += 1

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(one, u) for u in users]
        for fut in futures:
            try:
                fut.result()
            except SeedError as err:
                failures.append(str(err))
                if len(failures) == 1:
                    # Stop wasting time: cancel what has not started yet.
                    for f in futures:
                        f.cancel()
            except Exception as err:  # noqa: BLE001 - report anything, then fail
                failures.append(f"{type(err).__name__}: {err}")
    elapsed = time.monotonic() - started

    if failures:
        for msg in failures[:5]:
            print(f"seed.py: error: {msg}", file=sys.stderr)
        print(f"seed.py: {len(failures)} user(s) failed", file=sys.stderr)
        return 1
    if any(t is None for t in tokens):
        print("seed.py: error: some users got no token", file=sys.stderr)
        return 1

    if args.out:
        tmp = f"{args.out}.tmp.{os.getpid()}"
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(tmp, "w", encoding="ascii") as fh:
            fh.writelines(f"{t}\n" for t in tokens)
        os.replace(tmp, args.out)

    rate = len(users) / elapsed if elapsed > 0 else float("inf")
    print(
        f"seed.py: {len(users)} users in {elapsed:.1f} s ({rate:.0f}/s): "
        f"{counts['registered']} registered, {counts['logged_in']} logged in"
        + (f"; refresh tokens -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Seed FitCore benchmark users through the public API "
        "(register, or log in when already registered) and write their "
        "refresh tokens, one per line.",
    )
    p.add_argument("--base-url", default=DEFAULT_BASE_URL,
                   help=f"server base URL (default {DEFAULT_BASE_URL})")
    p.add_argument("--users", type=int, default=1000, help="number of users (default 1000)")
    p.add_argument("--out", help="write refresh tokens here, one per line, in user order")
    p.add_argument("--login-only", action="store_true",
                   help="only log the users in (fresh refresh tokens); do not register")
    p.add_argument("--workers", type=int, default=16, help="concurrent requests (default 16)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed for the generated names (default {DEFAULT_SEED})")
    p.add_argument("--password", default=DEFAULT_PASSWORD,
                   help="password of every bench user (default %(default)s)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="per-request timeout in seconds (default 30)")
    args = p.parse_args(argv)
    if not 1 <= args.users <= 1_000_000:
        p.error("--users must be between 1 and 1000000")
    if not 1 <= args.workers <= 256:
        p.error("--workers must be between 1 and 256")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        return seed_users(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
