#!/usr/bin/env python3
"""Seed the FitCore benchmark dataset through the public HTTP API only.

Python 3.11 standard library only (urllib + concurrent.futures); never touches
the database directly, so it can drive any implementation of API.md.

Stages (--stage):

users (default)
    Registers N deterministic users (bench-user-0001@example.com, ...) via
    POST /api/v1/auth/register/; a 409 (already registered) falls back to
    POST /api/v1/auth/login/. Writes one refresh token per line, in user order,
    to --out, and (with --access-out) one access token per line. With
    --login-only every user is logged in (no registration), which hands out a
    fresh, never-used refresh token per user: run.sh uses that after a B7
    warm-up has rotated (and blacklisted) the previous tokens.

workouts
    The workout catalogue of BENCHMARK.md, for B1/B2: logs in the staff user
    (created beforehand with `fitcore createsuperuser`), then creates 40
    categories, 1,000 workouts (30 % premium, chosen by the seed) and 6 small
    videos per workout (multipart uploads, ~4 KB each: an ISO-BMFF `ftyp` box
    plus a `free` box). Writes the created workout ids, one per line, to
    --ids-out. Meant for an empty catalogue (run.sh seeds a fresh database):
    it is not idempotent.

progress
    Progress rows for users 1..200 (their access tokens come from the users
    stage's --access-out file), each on 5 non-premium workouts (found through
    GET workouts/workouts/?is_premium=false), about one in five at 100 %.
    Each user's rows are sent in sequence (users in parallel). An HTTP 500 is
    retried a few times and counted (see the README: FitCore on SQLite answers
    500 "database is locked" to concurrent progress writes, so run.sh runs
    this stage with one worker there; on PostgreSQL one user's concurrent
    completions race on the achievements' unique key).

nutrition
    The nutrition part of BENCHMARK.md's dataset, for B3/B4/B8 (the bundled
    USDA foods are the server's own, loaded on its first start). Needs the
    users stage's --access-out tokens. Checks that every B3 search term
    (--terms) finds a public food; looks up public foods for meals through
    GET nutrition/foods/?search=; creates 5 custom foods for every user
    (POST nutrition/foods/); for users 1..50 a 7-day meal plan starting today
    (UTC) with 4 meals a day of 4 items each (28 meals via POST
    nutrition/meals/, the plan via POST nutrition/plans/, 28 POST
    nutrition/plans/{id}/meals/), plus 2 food diary entries for today
    (POST nutrition/log/). Writes "<user index> <plan id>" lines (1-based
    index into the token file) to --plans-out. Each user's requests go in
    sequence, users in parallel; an HTTP 500 is retried a few times and
    counted (as for progress). Not idempotent: meant for a fresh database.

Every stage runs its requests on a thread pool (--workers).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

DEFAULT_BASE_URL = "http://127.0.0.1:18080"
DEFAULT_PASSWORD = "Bench-Passw0rd!x"
DEFAULT_SEED = 20261126
DEFAULT_STAFF_EMAIL = "bench-staff@example.com"
MAX_ATTEMPTS = 5  # per request, for 429 / 503 / connection errors only

T = TypeVar("T")

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

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        content_type: str | None = None,
        token: str | None = None,
        idempotent: bool = True,
    ) -> tuple[int, dict]:
        """Returns (status, decoded body). Retries 429/503 (the server did
        nothing) a bounded number of times, and connection errors too when
        `idempotent`; a request that creates something is only retried when
        the connection was refused (nothing was sent), so a timeout never
        creates a duplicate."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        last_error = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            req = urllib.request.Request(
                self.base_url + path, data=data, method=method, headers=headers
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
                reason = getattr(err, "reason", err)
                if not idempotent and not isinstance(reason, ConnectionRefusedError):
                    raise SeedError(f"{method} {path}: {type(err).__name__}: {err} "
                                    "(not retried: the server may have acted on it)") from err
                last_error = f"{type(err).__name__}: {err}"
            if attempt < MAX_ATTEMPTS:
                time.sleep(min(retry_after, 10.0))
        raise SeedError(f"{method} {path}: giving up after {MAX_ATTEMPTS} attempts ({last_error})")

    def post_json(
        self, path: str, payload: dict, token: str | None = None, idempotent: bool = True
    ) -> tuple[int, dict]:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json",
                            token, idempotent)

    def get_json(self, path: str, token: str | None = None) -> tuple[int, dict]:
        return self.request("GET", path, token=token)

    def post_multipart(
        self,
        path: str,
        fields: dict[str, str],
        files: dict[str, tuple[str, str, bytes]],
        token: str | None = None,
    ) -> tuple[int, dict]:
        """multipart/form-data, built by hand: `files` maps a field name to
        (file name, content type, bytes). Never retried on network errors."""
        body, content_type = encode_multipart(fields, files)
        return self.request("POST", path, body, content_type, token, idempotent=False)


def encode_multipart(
    fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = f"fitcore-bench-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, ctype, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _decode(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"_raw": raw[:200].decode(errors="replace")}
    return value if isinstance(value, dict) else {"_value": value}


def _token_from(status: int, body: dict, what: str, email: str, kind: str) -> str:
    token = body.get(kind)
    if not isinstance(token, str) or not token:
        raise SeedError(f"{what} {email}: HTTP {status} without a '{kind}' token: {body}")
    return token


def _tokens_from(status: int, body: dict, what: str, email: str) -> tuple[str, str]:
    """(refresh, access) from a login/register body."""
    return (_token_from(status, body, what, email, "refresh"),
            _token_from(status, body, what, email, "access"))


def login(client: Client, email: str, password: str) -> tuple[str, str]:
    status, body = client.post_json(
        "/api/v1/auth/login/", {"email": email, "password": password}
    )
    if status != 200:
        raise SeedError(f"login {email}: expected 200, got {status}: {body}")
    return _tokens_from(status, body, "login", email)


def register_or_login(client: Client, user: User, password: str) -> tuple[str, tuple[str, str]]:
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
        return "registered", _tokens_from(status, body, "register", user.email)
    if status == 409:
        return "logged_in", login(client, user.email, password)
    raise SeedError(f"register {user.email}: expected 201 or 409, got {status}: {body}")


def run_pool(items: Iterable[T], fn: Callable[[T], Any], workers: int) -> tuple[list[Any], list[str]]:
    """Runs fn over items on a thread pool; returns (results in item order,
    failure messages). The first failure cancels what has not started yet."""
    failures: list[str] = []
    results: list[Any] = []
    cancelled = False
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        for fut in futures:
            if fut.cancelled():
                results.append(None)
                continue
            try:
                results.append(fut.result())
            except SeedError as err:
                results.append(None)
                failures.append(str(err))
            except Exception as err:  # noqa: BLE001 - report anything, then fail
                results.append(None)
                failures.append(f"{type(err).__name__}: {err}")
            if failures and not cancelled:
                # Stop wasting time: cancel what has not started yet.
                cancelled = True
                for f in futures:
                    f.cancel()
    return results, failures


def report_failures(failures: list[str], what: str) -> None:
    for msg in failures[:5]:
        print(f"seed.py: error: {msg}", file=sys.stderr)
    print(f"seed.py: {len(failures)} {what} failed", file=sys.stderr)


def write_lines(path: str, lines: Iterable[object]) -> None:
    """Writes one value per line, atomically (temp file + rename)."""
    tmp = f"{path}.tmp.{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(tmp, "w", encoding="ascii") as fh:
        fh.writelines(f"{v}\n" for v in lines)
    os.replace(tmp, path)


def read_lines(path: str) -> list[str]:
    with open(path, encoding="ascii") as fh:
        return [line.strip() for line in fh if line.strip()]


# ------------------------------------------------------------------- users ----
def seed_users(args: argparse.Namespace) -> int:
    client = Client(args.base_url, args.timeout)
    users = bench_users(args.users, args.seed)
    counts = {"registered": 0, "logged_in": 0}
    lock = threading.Lock()
    started = time.monotonic()

    def one(user: User) -> tuple[str, str]:
        if args.login_only:
            kind, tokens = "logged_in", login(client, user.email, args.password)
        else:
            kind, tokens = register_or_login(client, user, args.password)
        with lock:
            counts[kind] += 1
        return tokens

    results, failures = run_pool(users, one, args.workers)
    elapsed = time.monotonic() - started

    if failures:
        report_failures(failures, "user(s)")
        return 1
    if any(t is None for t in results):
        print("seed.py: error: some users got no token", file=sys.stderr)
        return 1

    if args.out:
        write_lines(args.out, (refresh for refresh, _ in results))
    if args.access_out:
        write_lines(args.access_out, (access for _, access in results))

    rate = len(users) / elapsed if elapsed > 0 else float("inf")
    print(
        f"seed.py: {len(users)} users in {elapsed:.1f} s ({rate:.0f}/s): "
        f"{counts['registered']} registered, {counts['logged_in']} logged in"
        + (f"; refresh tokens -> {args.out}" if args.out else "")
        + (f"; access tokens -> {args.access_out}" if args.access_out else ""),
        file=sys.stderr,
    )
    return 0


# ---------------------------------------------------------------- workouts ----
THEMES = [
    "Strength", "HIIT", "Yoga", "Pilates", "Cardio", "Mobility", "Core", "Boxing",
    "Cycling", "Running", "Rowing", "Stretching", "Barre", "Dance", "Kettlebell",
    "Calisthenics", "Functional", "Recovery", "Balance", "Plyometrics",
]
LEVELS = ["Foundations", "Advanced"]
ADJECTIVES = [
    "Quick", "Total", "Express", "Power", "Steady", "Explosive", "Gentle", "Intense",
    "Morning", "Evening", "Full-Body", "Lower-Body", "Upper-Body", "Endurance", "Tempo",
]
NOUNS = ["Session", "Circuit", "Flow", "Blast", "Burn", "Builder", "Challenge", "Routine", "Ladder", "Sprint"]
MOVES = [
    "Warm-up", "Squats", "Lunges", "Push-ups", "Rows", "Planks", "Deadlifts", "Burpees",
    "Bridges", "Presses", "Twists", "Jumps", "Holds", "Cool-down", "Stretch",
]
DIFFICULTIES = ["beginner", "intermediate", "advanced"]
GOALS = ["lose_weight", "build_muscle", "maintain", "improve_endurance", "general_fitness"]
DURATIONS = [10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90]
PAGE_SIZE = 20  # the API's default page size (B1 requests ?page=N only)


def fake_mp4(size: int) -> bytes:
    """A tiny ISO-BMFF file the server's content sniffing accepts as MP4: an
    `ftyp` box (major brand isom, compatible isom/mp41) and a `free` box
    padding it to `size` bytes. It has no `moov`, so the server's media job
    (ffprobe/ffmpeg) finds no duration or thumbnail, quickly."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"
    size = max(size, len(ftyp) + 8)
    pad = size - len(ftyp)
    return ftyp + pad.to_bytes(4, "big") + b"free" + b"\x00" * (pad - 8)


@dataclass(frozen=True)
class WorkoutSpec:
    index: int  # 0-based
    payload: dict  # without category_id
    category: int  # index into the categories
    is_premium: bool


def workout_specs(count: int, categories: int, premium_percent: int,
                  rng: random.Random) -> list[WorkoutSpec]:
    premium = set(rng.sample(range(count), round(count * premium_percent / 100)))
    width = max(4, len(str(count)))
    specs = []
    for i in range(count):
        cat = rng.randrange(categories)
        theme = THEMES[cat % len(THEMES)]
        title = f"{rng.choice(ADJECTIVES)} {theme} {rng.choice(NOUNS)} {i + 1:0{width}d}"
        moves = ", ".join(rng.sample(MOVES, 4))
        specs.append(WorkoutSpec(
            index=i,
            category=cat,
            is_premium=i in premium,
            payload={
                "title": title,
                "description": (f"{title}: a {theme.lower()} workout built around {moves}. "
                                "Warm up first, keep good form and rest when you need to."),
                "duration_minutes": rng.choice(DURATIONS),
                "difficulty": rng.choice(DIFFICULTIES),
                "goals": rng.sample(GOALS, rng.randint(1, 3)),
                "is_premium": i in premium,
            },
        ))
    return specs


def seed_workouts(args: argparse.Namespace) -> int:
    client = Client(args.base_url, args.timeout)
    rng = random.Random(f"{args.seed}/workouts")
    total_started = time.monotonic()
    phases: list[str] = []

    def phase_done(name: str, n: int, started: float) -> None:
        secs = time.monotonic() - started
        phases.append(f"{n} {name} in {secs:.1f} s ({n / secs if secs > 0 else 0:.0f}/s)")
        print(f"seed.py: {phases[-1]}", file=sys.stderr)

    _, staff = login(client, args.staff_email, args.staff_password)

    # Categories.
    started = time.monotonic()
    cat_names = [f"{THEMES[i % len(THEMES)]} {LEVELS[(i // len(THEMES)) % len(LEVELS)]}"
                 + (f" {i // (len(THEMES) * len(LEVELS)) + 1}" if i >= len(THEMES) * len(LEVELS) else "")
                 for i in range(args.categories)]

    def create_category(name: str) -> int:
        slug = name.lower().replace(" ", "-")
        status, body = client.post_json("/api/v1/workouts/categories/",
                                        {"name": name, "slug": slug}, staff, idempotent=False)
        if status != 201 or not isinstance(body.get("id"), int):
            raise SeedError(f"category {name}: expected 201 with an id, got {status}: {body}")
        return body["id"]

    cat_ids, failures = run_pool(cat_names, create_category, args.workers)
    if failures:
        report_failures(failures, "categories")
        return 1
    phase_done("categories", len(cat_ids), started)

    # Workouts.
    started = time.monotonic()
    specs = workout_specs(args.workouts, len(cat_ids), args.premium_percent, rng)

    def create_workout(spec: WorkoutSpec) -> int:
        payload = dict(spec.payload, category_id=cat_ids[spec.category])
        status, body = client.post_json("/api/v1/workouts/workouts/", payload, staff,
                                        idempotent=False)
        if status != 201 or not isinstance(body.get("id"), int):
            raise SeedError(f"workout {spec.index + 1}: expected 201 with an id, got {status}: {body}")
        return body["id"]

    workout_ids, failures = run_pool(specs, create_workout, args.workers)
    if failures:
        report_failures(failures, "workouts")
        return 1
    phase_done(f"workouts ({sum(s.is_premium for s in specs)} premium)", len(workout_ids), started)
    if args.ids_out:
        write_lines(args.ids_out, workout_ids)

    # Videos: order_index is sent explicitly, since uploads to one workout run
    # concurrently; the first video of each workout is free.
    started = time.monotonic()
    content = fake_mp4(args.video_bytes)
    uploads = [(wid, k, rng.choice(MOVES)) for wid in workout_ids
               for k in range(args.videos_per_workout)]

    def upload(item: tuple[int, int, str]) -> int:
        wid, k, move = item
        status, body = client.post_multipart(
            f"/api/v1/workouts/workouts/{wid}/videos/",
            {"title": f"Part {k + 1}: {move}", "is_free": "true" if k == 0 else "false",
             "order_index": str(k)},
            {"file": (f"bench-{wid}-{k + 1}.mp4", "video/mp4", content)},
            staff,
        )
        if status != 201 or not isinstance(body.get("id"), int):
            raise SeedError(f"video {k + 1} of workout {wid}: expected 201, got {status}: {body}")
        return body["id"]

    video_ids, failures = run_pool(uploads, upload, args.workers)
    if failures:
        report_failures(failures, "video upload(s)")
        return 1
    phase_done(f"videos ({len(content)} bytes each)", len(video_ids), started)

    # Check what the API now reports.
    status, body = client.get_json("/api/v1/workouts/workouts/?page_size=1", staff)
    listed = body.get("count") if status == 200 else None
    if listed != args.workouts:
        print(f"seed.py: error: GET workouts/workouts/ counts {listed} (HTTP {status}), "
              f"expected {args.workouts}: was the catalogue empty?", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - total_started
    print(f"seed.py: workouts stage done in {elapsed:.1f} s: " + "; ".join(phases)
          + (f"; workout ids -> {args.ids_out}" if args.ids_out else "")
          + f"; {listed} workouts listed ({-(-listed // PAGE_SIZE)} pages of {PAGE_SIZE})",
          file=sys.stderr)
    return 0


def seed_progress(args: argparse.Namespace) -> int:
    """Users 1..N each record progress on a few non-premium workouts (premium
    ones answer 403 without a subscription); about one in five runs is
    complete. The workouts come from the API, so this works on any catalogue."""
    client = Client(args.base_url, args.timeout)
    rng = random.Random(f"{args.seed}/progress")
    started = time.monotonic()
    if not args.access_tokens:
        print("seed.py: error: the progress stage needs --access-tokens (from the users stage)",
              file=sys.stderr)
        return 1
    access_tokens = read_lines(args.access_tokens)
    if len(access_tokens) < args.progress_users:
        print(f"seed.py: error: {args.access_tokens} holds {len(access_tokens)} tokens, "
              f"--progress-users wants {args.progress_users}", file=sys.stderr)
        return 1

    open_ids: list[int] = []
    page = 1
    while True:
        status, body = client.get_json(
            f"/api/v1/workouts/workouts/?is_premium=false&page_size=100&page={page}",
            access_tokens[0])
        results = body.get("results") if status == 200 else None
        if not isinstance(results, list):
            print(f"seed.py: error: listing non-premium workouts: HTTP {status}: {body}",
                  file=sys.stderr)
            return 1
        open_ids.extend(w["id"] for w in results if not w.get("is_premium"))
        if not results or not body.get("next") or page >= 10_000:
            break
        page += 1
    open_ids.sort()
    if not open_ids:
        print("seed.py: error: no non-premium workouts to record progress on", file=sys.stderr)
        return 1

    per_user = min(args.progress_per_user, len(open_ids))
    plans: list[list[tuple[str, int, float]]] = []
    for u in range(args.progress_users):
        plan = []
        for wid in rng.sample(open_ids, per_user):
            pct = 100.0 if rng.random() < 0.2 else float(rng.randrange(5, 100, 5))
            plan.append((access_tokens[u], wid, pct))
        plans.append(plan)
    rows = [row for plan in plans for row in plan]
    retried = 0
    lock = threading.Lock()

    def progress(row: tuple[str, int, float]) -> int:
        nonlocal retried
        token, wid, pct = row
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, body = client.post_json("/api/v1/workouts/progress/",
                                            {"workout_id": wid, "progress_percentage": pct},
                                            token, idempotent=False)
            if status in (200, 201):
                return status
            # A 500 rolled the whole change back, and setting a percentage
            # again is harmless: retry, but count it (it is a server bug).
            if status != 500 or attempt == MAX_ATTEMPTS:
                break
            with lock:
                retried += 1
            time.sleep(0.05 * attempt)
        raise SeedError(f"progress on workout {wid}: expected 201/200, got {status}: {body}")

    # One task per user, their rows in sequence, as a client would send them:
    # concurrent completions by one user race for the same achievement row
    # (the server answers 500, unique violation on uq_user_achievements_code).
    done, failures = run_pool(plans, lambda plan: [progress(row) for row in plan], args.workers)
    if failures:
        report_failures(failures, "user(s)' progress")
        return 1
    elapsed = time.monotonic() - started
    n = sum(len(d) for d in done)
    print(f"seed.py: {n} progress rows ({args.progress_users} users x {per_user} of "
          f"{len(open_ids)} non-premium workouts; "
          f"{sum(1 for _, _, pct in rows if pct >= 100)} complete) in {elapsed:.1f} s "
          f"({n / elapsed if elapsed > 0 else 0:.0f}/s)", file=sys.stderr)
    if retried:
        print(f"seed.py: WARNING: {retried} progress POST(s) answered HTTP 500 and were retried "
              "(see the server log: on SQLite 'database is locked' under concurrent writes)",
              file=sys.stderr)
    return 0


# --------------------------------------------------------------- nutrition ----
DEFAULT_TERMS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk", "b3_terms.txt")
MEAL_TIMES = ["breakfast", "lunch", "dinner", "snack"]
# Public foods for each meal time, looked up by search term (the top hits).
MEAL_TERMS = {
    "breakfast": ["oats", "milk", "yogurt", "banana", "blueberries", "egg", "bread",
                  "peanut butter", "strawberries", "honey", "bagel", "orange"],
    "lunch": ["chicken breast", "brown rice", "lettuce", "tomato", "tuna", "bread", "cheddar",
              "avocado", "black beans", "tortilla", "cucumber", "turkey"],
    "dinner": ["salmon", "beef", "pork", "broccoli", "potato", "pasta", "spinach", "tofu",
               "lentils", "quinoa", "sweet potato", "carrot"],
    "snack": ["apple", "almonds", "walnuts", "orange", "grapes", "yogurt", "dark chocolate",
              "carrot", "peanut butter", "cheddar", "banana", "cucumber"],
}
FOODS_PER_TERM = 3
MEAL_NAMES = {
    "breakfast": ["Power Breakfast", "Morning Bowl", "Early Fuel", "Sunrise Plate"],
    "lunch": ["Midday Plate", "Lunch Box", "Desk Lunch", "Light Lunch"],
    "dinner": ["Family Dinner", "Evening Plate", "Recovery Dinner", "Quick Supper"],
    "snack": ["Afternoon Snack", "Pre-Workout Bite", "Snack Pack", "Evening Snack"],
}
CUSTOM_FOODS = [
    "Homemade granola", "Protein smoothie", "Overnight oats", "Chicken curry", "Lentil soup",
    "Veggie stir-fry", "Banana bread", "Energy balls", "Greek salad", "Turkey chili",
    "Protein pancakes", "Tuna salad", "Beef stew", "Vegetable lasagna", "Trail mix",
    "Hummus wrap", "Fruit salad", "Egg muffins", "Burrito bowl", "Pesto pasta",
]


def custom_food_payload(rng: random.Random, name: str) -> dict:
    """Per 100 g, within what the server accepts (macros <= 100 g, calories
    from the macros)."""
    protein = round(rng.uniform(1, 25), 1)
    carbs = round(rng.uniform(2, 45), 1)
    fat = round(rng.uniform(0.5, 20), 1)
    return {
        "name": name, "serving_size": 100, "serving_unit": "g",
        "calories": round(4 * protein + 4 * carbs + 9 * fat),
        "protein_g": protein, "carbs_g": carbs, "fat_g": fat,
    }


def seed_nutrition(args: argparse.Namespace) -> int:
    client = Client(args.base_url, args.timeout)
    rng = random.Random(f"{args.seed}/nutrition")
    total_started = time.monotonic()
    phases: list[str] = []
    retried = 0
    lock = threading.Lock()

    def phase_done(name: str, n: int, started: float) -> None:
        secs = time.monotonic() - started
        phases.append(f"{n} {name} in {secs:.1f} s ({n / secs if secs > 0 else 0:.0f}/s)")
        print(f"seed.py: {phases[-1]}", file=sys.stderr)

    def post(path: str, payload: dict, token: str, what: str) -> dict:
        """POST expecting 201 with an integer id; a 500 (rolled back) is
        retried and counted."""
        nonlocal retried
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, body = client.post_json(path, payload, token, idempotent=False)
            if status == 201 and isinstance(body.get("id"), int):
                return body
            if status != 500 or attempt == MAX_ATTEMPTS:
                break
            with lock:
                retried += 1
            time.sleep(0.05 * attempt)
        raise SeedError(f"{what}: POST {path}: expected 201 with an id, got {status}: {body}")

    if not args.access_tokens:
        print("seed.py: error: the nutrition stage needs --access-tokens (from the users stage)",
              file=sys.stderr)
        return 1
    tokens = read_lines(args.access_tokens)
    plan_users = min(args.plan_users, len(tokens))
    probe = tokens[0]

    # 1. B3's terms: each must find at least a page's worth of public foods.
    started = time.monotonic()
    terms = read_lines_utf8(args.terms)

    def search(term: str) -> list[dict]:
        status, body = client.get_json(
            f"/api/v1/nutrition/foods/?search={quote(term)}&page_size=20", probe)
        results = body.get("results") if status == 200 else None
        if not isinstance(results, list):
            raise SeedError(f"search '{term}': HTTP {status}: {body}")
        return [f for f in results if f.get("is_public") and isinstance(f.get("id"), int)]

    found, failures = run_pool(terms, search, args.workers)
    if failures:
        report_failures(failures, "food search(es)")
        return 1
    empty = [t for t, hits in zip(terms, found) if not hits]
    if empty:
        print(f"seed.py: error: no public food matches B3 term(s) {empty}: are the bundled "
              "foods loaded?", file=sys.stderr)
        return 1
    phase_done(f"B3 term searches ({min(map(len, found))}-{max(map(len, found))} public hits "
               "on the first page)", len(terms), started)

    # 2. Public foods for the meals.
    started = time.monotonic()
    lookup_terms = sorted({t for ts in MEAL_TERMS.values() for t in ts})
    hits, failures = run_pool(lookup_terms, search, args.workers)
    if failures:
        report_failures(failures, "food search(es)")
        return 1
    by_term = {t: [f["id"] for f in h[:FOODS_PER_TERM]] for t, h in zip(lookup_terms, hits)}
    pools = {mt: sorted({fid for t in ts for fid in by_term[t]}) for mt, ts in MEAL_TERMS.items()}
    for mt, pool in pools.items():
        if len(pool) < args.items_per_meal:
            print(f"seed.py: error: only {len(pool)} public foods for {mt} meals", file=sys.stderr)
            return 1
    phase_done("food look-ups (" + ", ".join(f"{len(p)} {mt}" for mt, p in pools.items())
               + " foods)", len(lookup_terms), started)

    # 3. Custom foods, for every user.
    started = time.monotonic()
    food_jobs = [(tokens[u], [custom_food_payload(rng, f"{rng.choice(CUSTOM_FOODS)} {u + 1}-{k + 1}")
                              for k in range(args.custom_foods_per_user)])
                 for u in range(len(tokens))]

    def custom_foods(job: tuple[str, list[dict]]) -> int:
        token, payloads = job
        for p in payloads:
            post("/api/v1/nutrition/foods/", p, token, f"custom food '{p['name']}'")
        return len(payloads)

    done, failures = run_pool(food_jobs, custom_foods, args.workers)
    if failures:
        report_failures(failures, "user(s)' custom foods")
        return 1
    phase_done(f"custom foods ({len(tokens)} users x {args.custom_foods_per_user})",
               sum(done), started)

    # 4. Meal plans (and a couple of diary entries) for users 1..plan_users.
    started = time.monotonic()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    servings = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    meal_times = (MEAL_TIMES * ((args.meals_per_day + len(MEAL_TIMES) - 1) // len(MEAL_TIMES)))[
        :args.meals_per_day]
    plan_jobs = []
    for u in range(plan_users):
        meals = []
        for day in range(1, args.plan_days + 1):
            for mt in meal_times:
                items = [{"food_id": fid, "number_of_servings": rng.choice(servings)}
                         for fid in rng.sample(pools[mt], args.items_per_meal)]
                meals.append((day, {"name": f"{rng.choice(MEAL_NAMES[mt])} (day {day})",
                                    "meal_time_category": mt, "items": items}))
        diary = [{"date": today.isoformat(), "meal_time_category": mt,
                  "food_id": rng.choice(pools[mt]), "number_of_servings": rng.choice(servings)}
                 for mt in meal_times[:args.diary_entries]]
        plan_jobs.append((u, meals, diary))

    def plan(job: tuple[int, list[tuple[int, dict]], list[dict]]) -> tuple[int, int]:
        u, meals, diary = job
        token = tokens[u]
        who = f"user {u + 1}"
        meal_ids = [(day, post("/api/v1/nutrition/meals/", m, token, who)["id"])
                    for day, m in meals]
        plan_id = post("/api/v1/nutrition/plans/",
                       {"name": f"Bench week {u + 1}", "duration_days": args.plan_days,
                        "start_date": today.isoformat()}, token, who)["id"]
        for day, mid in meal_ids:
            post(f"/api/v1/nutrition/plans/{plan_id}/meals/",
                 {"meal_id": mid, "day_of_plan": day}, token, who)
        for entry in diary:
            post("/api/v1/nutrition/log/", entry, token, who)
        # What B4 will read: the plan with every day and meal.
        status, body = client.get_json(f"/api/v1/nutrition/plans/{plan_id}/", token)
        days = body.get("days") if status == 200 else None
        if (not isinstance(days, list) or len(days) != args.plan_days
                or sum(len(d.get("meals") or []) for d in days) != len(meals)):
            raise SeedError(f"{who}: GET plan {plan_id}: expected {args.plan_days} days and "
                            f"{len(meals)} meals, got HTTP {status}: {str(body)[:300]}")
        return u + 1, plan_id

    pairs, failures = run_pool(plan_jobs, plan, args.workers)
    if failures:
        report_failures(failures, "user(s)' meal plans")
        return 1
    n_meals = plan_users * args.plan_days * len(meal_times)
    phase_done(f"meal plans ({n_meals} meals of {args.items_per_meal} items, "
               f"{plan_users * min(args.diary_entries, len(meal_times))} diary entries)",
               plan_users, started)
    if args.plans_out:
        write_lines(args.plans_out, (f"{u} {pid}" for u, pid in pairs))

    elapsed = time.monotonic() - total_started
    print(f"seed.py: nutrition stage done in {elapsed:.1f} s: " + "; ".join(phases)
          + (f"; plans -> {args.plans_out}" if args.plans_out else ""), file=sys.stderr)
    if retried:
        print(f"seed.py: WARNING: {retried} nutrition POST(s) answered HTTP 500 and were retried "
              "(see the server log)", file=sys.stderr)
    return 0


def read_lines_utf8(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Seed the FitCore benchmark dataset through the public API. "
        "Stage 'users' (default): register the bench users (or log them in when "
        "already registered) and write their tokens, one per line. Stage "
        "'workouts': categories, workouts and videos for B1/B2. Stage 'progress': "
        "the users' progress on non-premium workouts. Stage 'nutrition': custom foods, "
        "meal plans and diary entries for B3/B4/B8.",
    )
    p.add_argument("--stage", choices=["users", "workouts", "progress", "nutrition"], default="users",
                   help="what to seed (default users)")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL,
                   help=f"server base URL (default {DEFAULT_BASE_URL})")
    p.add_argument("--workers", type=int, default=16, help="concurrent requests (default 16)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed for the generated data (default {DEFAULT_SEED})")
    p.add_argument("--password", default=DEFAULT_PASSWORD,
                   help="password of every bench user (default %(default)s)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="per-request timeout in seconds (default 30)")
    u = p.add_argument_group("users stage")
    u.add_argument("--users", type=int, default=1000, help="number of users (default 1000)")
    u.add_argument("--out", help="write refresh tokens here, one per line, in user order")
    u.add_argument("--access-out",
                   help="write access tokens here, one per line, in user order")
    u.add_argument("--login-only", action="store_true",
                   help="only log the users in (fresh tokens); do not register")
    w = p.add_argument_group("workouts stage")
    w.add_argument("--staff-email", default=DEFAULT_STAFF_EMAIL,
                   help="an existing staff user (fitcore createsuperuser; default %(default)s)")
    w.add_argument("--staff-password", default=DEFAULT_PASSWORD,
                   help="its password (default %(default)s)")
    w.add_argument("--categories", type=int, default=40, help="categories (default 40)")
    w.add_argument("--workouts", type=int, default=1000, help="workouts (default 1000)")
    w.add_argument("--premium-percent", type=int, default=30,
                   help="share of premium workouts, in %% (default 30)")
    w.add_argument("--videos-per-workout", type=int, default=6, help="(default 6)")
    w.add_argument("--video-bytes", type=int, default=4096,
                   help="size of each uploaded video file (default 4096)")
    w.add_argument("--ids-out", help="write the created workout ids here, one per line")
    g = p.add_argument_group("progress stage")
    g.add_argument("--progress-users", type=int, default=200,
                   help="users 1..N get progress rows (default 200)")
    g.add_argument("--progress-per-user", type=int, default=5,
                   help="non-premium workouts each of them has progress on (default 5)")
    g.add_argument("--access-tokens",
                   help="access tokens of the users, one per line in user order "
                   "(the users stage's --access-out)")
    n = p.add_argument_group("nutrition stage (also takes --access-tokens)")
    n.add_argument("--terms", default=DEFAULT_TERMS_FILE,
                   help="B3 search terms, one per line; each must find a public food "
                   "(default %(default)s)")
    n.add_argument("--custom-foods-per-user", type=int, default=5, help="(default 5)")
    n.add_argument("--plan-users", type=int, default=50,
                   help="users 1..N get a meal plan (default 50)")
    n.add_argument("--plan-days", type=int, default=7, help="(default 7)")
    n.add_argument("--meals-per-day", type=int, default=4, help="(default 4)")
    n.add_argument("--items-per-meal", type=int, default=4, help="(default 4)")
    n.add_argument("--diary-entries", type=int, default=2,
                   help="food diary entries today per plan user (default 2)")
    n.add_argument("--plans-out", help='write "<user index> <plan id>" lines here')
    args = p.parse_args(argv)
    if not 1 <= args.users <= 1_000_000:
        p.error("--users must be between 1 and 1000000")
    if not 1 <= args.workers <= 256:
        p.error("--workers must be between 1 and 256")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if not 1 <= args.categories <= 10_000:
        p.error("--categories must be between 1 and 10000")
    if not 1 <= args.workouts <= 1_000_000:
        p.error("--workouts must be between 1 and 1000000")
    if not 0 <= args.premium_percent <= 100:
        p.error("--premium-percent must be between 0 and 100")
    if not 0 <= args.videos_per_workout <= 100:
        p.error("--videos-per-workout must be between 0 and 100")
    if not 32 <= args.video_bytes <= 64 * 1024 * 1024:
        p.error("--video-bytes must be between 32 and 67108864")
    if args.progress_users < 0 or args.progress_per_user < 0:
        p.error("--progress-users and --progress-per-user must not be negative")
    if not 1 <= args.plan_days <= 28:
        p.error("--plan-days must be between 1 and 28")
    if not 1 <= args.meals_per_day <= 12 or not 1 <= args.items_per_meal <= 12:
        p.error("--meals-per-day and --items-per-meal must be between 1 and 12")
    if min(args.custom_foods_per_user, args.plan_users, args.diary_entries) < 0:
        p.error("--custom-foods-per-user, --plan-users and --diary-entries must not be negative")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        if args.stage == "workouts":
            return seed_workouts(args)
        if args.stage == "progress":
            return seed_progress(args)
        if args.stage == "nutrition":
            return seed_nutrition(args)
        return seed_users(args)
    except SeedError as err:
        print(f"seed.py: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
