"""Synthetic FEBRL-like people for tests and benchmarks: the same people twice, the second
copy with typos, shifted dates and gaps."""

import datetime as dt
import random

import pyarrow as pa

GIVEN = [
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "lachlan",
    "chloe",
    "isabella",
    "joshua",
    "mia",
    "oliver",
]
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "brown",
    "wilson",
    "taylor",
    "johnson",
    "white",
    "martin",
    "anderson",
    "thompson",
    "nguyen",
    "thomas",
    "walker",
    "harris",
    "lee",
    "ryan",
    "robinson",
    "kelly",
    "king",
    "davis",
    "wright",
    "evans",
    "roberts",
    "green",
    "hall",
    "wood",
    "jackson",
    "clarke",
    "patel",
    "khan",
    "lewis",
    "james",
    "phillips",
    "mitchell",
    "campbell",
    "young",
]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(len(text) - 1)
    action = rng.choice(["swap", "drop", "replace"])
    if action == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if action == "drop":
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice("aeioulnrst") + text[i + 1 :]


def people(n: int, *, seed: int = 7, noise: float = 0.3) -> tuple[pa.Table, pa.Table]:
    """Two tables of ``n`` rows; row i of each is the same person (the truth)."""
    rng = random.Random(seed)
    left: dict[str, list[object]] = {
        "given_name": [],
        "surname": [],
        "date_of_birth": [],
        "postcode": [],
        "soc_sec_id": [],
    }
    right: dict[str, list[object]] = {k: [] for k in left}
    for _ in range(n):
        person = {
            "given_name": rng.choice(GIVEN),
            "surname": rng.choice(SURNAMES) + rng.choice(["", "", "s", "son", "er", "ey"]),
            "date_of_birth": dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30_000)),
            "postcode": str(rng.randrange(2000, 2400)),
            "soc_sec_id": str(rng.randrange(1_000_000, 9_999_999)),
        }
        for key, value in person.items():
            left[key].append(value)
            noisy: object = value
            if rng.random() < noise:
                if key == "date_of_birth":
                    assert isinstance(value, dt.date)
                    noisy = value + dt.timedelta(days=rng.choice([-1, 1, 30, 365]))
                elif rng.random() < 0.15:
                    noisy = None
                else:
                    noisy = _typo(rng, str(value))
            right[key].append(noisy)
    return pa.table(left), pa.table(right)
