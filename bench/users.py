"""The benchmarks' simulated users, in a process of their own, driving the sandbox's control API.

People write from their phones, not from inside the bot's process. Run in the bot's process, the
users' HTTP calls to the sandbox (a message or press, then long polls for the answer: two to three
calls per update) took a share of the very CPU the bot is measured on. Here they run as
`python -m bench.users`, with the scenario on stdin as JSON and the result on stdout as JSON:

- {"scenario": "echo", "url", "users": [ids], "messages": per user}
  -> {"elapsed": s} until every echo arrived;
- {"scenario": "opinions", "url", "pairs": [[constituent, deputy]], "rounds", "seed", "think": [lo, hi]
  | null, "cursors": {chat: seq}} -> {"elapsed": s, "latencies": [s]} (Submit press -> deputy's
  card), with each user's random.Random(seed * constituent);

and every result carries "cursors", the feed positions read up to, for the next scenario.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.remote import RemoteSandbox, has_button  # noqa: E402

WORDS = [
    "路灯",
    "水管",
    "道路",
    "学校",
    "医院",
    "垃圾",
    "公交",
    "停车",
    "噪音",
    "绿化",
    "排水",
    "桥梁",
    "菜市场",
    "养老",
    "医保",
    "低保",
    "河道",
    "农田",
    "灌溉",
    "网络",
]


def opinion_text(rng: random.Random) -> str:
    """A distinct opinion, so the 'similar open opinion' hint does not fire (also over many rounds)."""
    place = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(6))
    return "、".join(rng.sample(WORDS, 4)) + f"的问题需要解决（{place}）"


async def echo_user(sb: RemoteSandbox, uid: int, count: int) -> None:
    for i in range(count):
        await sb.act(uid, "send", text=f"message {i}")
    for _ in range(count):
        await sb.next_bot_message(uid)


async def constituent_flow(
    sb: RemoteSandbox,
    c: int,
    d: int,
    rounds: int,
    latencies: list[float],
    rng: random.Random,
    think: tuple[float, float] | None = None,
) -> None:
    """A constituent writes `rounds` opinions: text, Submit; the deputy's card is timed.

    With `think`, they pause a random time in that range (seconds) before each message and press,
    as a person reading the card and choosing does; without, they act the moment the bot answers.
    """

    async def pause() -> None:
        if think is not None:
            await asyncio.sleep(rng.uniform(*think))

    for _ in range(rounds):
        await pause()
        await sb.act(c, "send", text=opinion_text(rng))
        await sb.next_bot_message(c, has_button("📤 提交"))
        await pause()
        pressed = time.perf_counter()
        await sb.act(c, "press", text="📤 提交")  # files at once: the category is on the card
        await sb.next_bot_message(d, lambda m: "LX-" in (m.get("text") or ""))
        latencies.append(time.perf_counter() - pressed)
        await sb.next_bot_message(c, lambda m: "已交给" in (m.get("text") or ""))  # the receipt


async def play(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario against the sandbox at spec["url"]; timing starts once every user is ready."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as session:
        sb = RemoteSandbox(spec["url"], session)
        sb.cursor.update({int(chat): int(seq) for chat, seq in spec.get("cursors", {}).items()})
        latencies: list[float] = []
        if spec["scenario"] == "echo":
            flows = [echo_user(sb, uid, spec["messages"]) for uid in spec["users"]]
        else:
            think = tuple(spec["think"]) if spec.get("think") else None
            flows = [
                constituent_flow(sb, c, d, spec["rounds"], latencies, random.Random(spec["seed"] * c), think)  # type: ignore[arg-type]
                for c, d in spec["pairs"]
            ]
        started = time.perf_counter()
        await asyncio.gather(*flows)
        elapsed = time.perf_counter() - started
        return {"elapsed": elapsed, "latencies": latencies, "cursors": sb.cursor}


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Start `python -m bench.users` with `spec` and wait (without using CPU) for its result."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.users",
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = await proc.communicate(json.dumps(spec).encode())
    if proc.returncode != 0:
        raise SystemExit(f"simulated users ({spec['scenario']}) failed with exit code {proc.returncode}")
    return dict(json.loads(out))


def main() -> None:
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(play(spec))))


if __name__ == "__main__":
    main()
