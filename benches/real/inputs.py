"""Deterministic inputs for the real programs of the interpreter benchmark (benches/run.py).

Sightglass's own inputs are megabytes (and partly made with `datetime.now()`), so they are not
vendored; these generators make inputs of the same shape from a fixed seed, at a size the harness
chooses. Each function writes one file into a directory the program is given as its `--dir .`.
"""

import random
from pathlib import Path

SEED = 13


def _user(rng, uid):
    """One user record with the schema of sightglass's rust-json / rust-protobuf benchmarks."""
    day = lambda lo, hi: f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T" \
                         f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00.{rng.randint(0, 999999):06d}"
    return {
        "id": uid,
        "username": f"user_{uid}",
        "email": f"user{uid}@example.com",
        "full_name": f"User {uid} Name",
        "is_active": rng.random() < 0.5,
        "created_at": day(1, 1000),
        "updated_at": day(0, 100),
        "profile": {
            "bio": f"This is a bio for user {uid}. " * rng.randint(1, 5),
            "avatar_url": f"https://example.com/avatars/{uid}.jpg",
            "location": rng.choice(["New York", "London", "Tokyo", "Berlin", "Paris", "Sydney"]),
            "website": f"https://user{uid}.example.com" if rng.random() > 0.3 else None,
            "social_links": [f"https://twitter.com/user{uid}", f"https://github.com/user{uid}",
                             f"https://linkedin.com/in/user{uid}"],
        },
        "settings": {
            "theme": rng.choice(["light", "dark", "auto"]),
            "language": rng.choice(["en", "es", "fr", "de", "ja", "zh"]),
            "notifications_enabled": rng.random() < 0.5,
            "privacy_level": rng.choice(["public", "friends", "private"]),
            "preferences": {f"pref_{i}": f"value_{i}" for i in range(rng.randint(3, 8))},
        },
        "posts": [{
            "id": uid * 1000 + p,
            "title": f"Post {p} by user {uid}",
            "content": f"This is the content of post {p}. " * rng.randint(10, 50),
            "tags": [f"tag{rng.randint(1, 20)}" for _ in range(rng.randint(1, 5))],
            "likes": rng.randint(0, 1000),
            "comments_count": rng.randint(0, 100),
            "published_at": day(0, 365),
        } for p in range(rng.randint(5, 15))],
    }


def users(n):
    rng = random.Random(SEED)
    return [_user(rng, uid) for uid in range(1, n + 1)]


def json_input(directory: Path, n_users):
    import json
    (directory / "default.input").write_text(json.dumps(users(n_users), indent=2))


# --- protobuf (proto3 wire format of sightglass's rust-protobuf schema.proto) ---

def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint(num << 3 | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def _uint(num, v):
    return _field(num, 0, int(v)) if v else b""


def _str(num, s):
    return _field(num, 2, s.encode()) if s else b""


def _msg(num, body):
    return _field(num, 2, body)


def _user_pb(u):
    prof, sett = u["profile"], u["settings"]
    profile = (_str(1, prof["bio"]) + _str(2, prof["avatar_url"]) + _str(3, prof["location"])
               + (_field(4, 2, prof["website"].encode()) if prof["website"] is not None else b"")
               + b"".join(_field(5, 2, s.encode()) for s in prof["social_links"]))
    settings = (_str(1, sett["theme"]) + _str(2, sett["language"])
                + _uint(3, sett["notifications_enabled"]) + _str(4, sett["privacy_level"])
                + b"".join(_msg(5, _str(1, k) + _str(2, v)) for k, v in sett["preferences"].items()))
    posts = b"".join(_msg(10, _uint(1, p["id"]) + _str(2, p["title"]) + _str(3, p["content"])
                          + b"".join(_field(4, 2, t.encode()) for t in p["tags"])
                          + _uint(5, p["likes"]) + _uint(6, p["comments_count"])
                          + _str(7, p["published_at"])) for p in u["posts"])
    return (_uint(1, u["id"]) + _str(2, u["username"]) + _str(3, u["email"])
            + _str(4, u["full_name"]) + _uint(5, u["is_active"]) + _str(6, u["created_at"])
            + _str(7, u["updated_at"]) + _msg(8, profile) + _msg(9, settings) + posts)


def protobuf_input(directory: Path, n_users):
    data = b"".join(_msg(1, _user_pb(u)) for u in users(n_users))
    (directory / "default.input").write_bytes(data)


def bytes_input(directory: Path, n_bytes):
    """Pseudo-random bytes (blake3-scalar hashes ./default.input)."""
    (directory / "default.input").write_bytes(random.Random(SEED).randbytes(n_bytes))


def markdown_input(directory: Path, n_sections):
    """A CommonMark document of n sections using most block and inline constructs."""
    rng = random.Random(SEED)
    words = ("interpreter register frame cell operand branch memory table global stack call "
             "return trap fuel module function value type block loop result import export "
             "section code data element byte page offset align").split()

    def text(n):
        out = []
        for _ in range(n):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.05:
                w = f"*{w}*"
            elif r < 0.08:
                w = f"**{w}**"
            elif r < 0.11:
                w = f"`{w}()`"
            elif r < 0.13:
                w = f"[{w}](https://example.com/{w}/{rng.randint(1, 999)})"
            elif r < 0.14:
                w = f"<https://example.org/{w}>"
            out.append(w)
        return " ".join(out)

    parts = []
    for s in range(n_sections):
        parts.append(f"{'#' * rng.randint(1, 4)} Section {s}: {text(4)}\n")
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.45:
                parts.append("\n".join(text(12) for _ in range(rng.randint(2, 6))) + "\n")
            elif kind < 0.6:
                parts.append("\n".join(f"- {text(rng.randint(3, 10))}"
                                       for _ in range(rng.randint(2, 6))) + "\n")
            elif kind < 0.7:
                parts.append("\n".join(f"{i + 1}. {text(rng.randint(3, 10))}"
                                       for i in range(rng.randint(2, 6))) + "\n")
            elif kind < 0.8:
                parts.append("```c\n" + "\n".join(f"int {rng.choice(words)}_{i} = {i};"
                                                  for i in range(rng.randint(2, 8))) + "\n```\n")
            elif kind < 0.9:
                parts.append("\n".join(f"> {text(10)}" for _ in range(rng.randint(1, 4))) + "\n")
            else:
                rows = [f"| {rng.choice(words)} | {rng.randint(0, 999)} | {text(3)} |"
                        for _ in range(rng.randint(2, 6))]
                parts.append("| name | n | note |\n|---|---:|---|\n" + "\n".join(rows) + "\n")
    (directory / "default.input.md").write_text("\n".join(parts))


def count_input(directory: Path, n):
    """A decimal count (richards reads its iteration count from ./default.input)."""
    (directory / "default.input").write_text(f"{n}\n")
