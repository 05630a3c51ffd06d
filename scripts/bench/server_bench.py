"""Measurements for scripts/bench/server.sh (standard library only).

    server_bench.py free-port
    server_bench.py wait-health URL TIMEOUT            # until GET URL answers 200
    server_bench.py single --ours URL --theirs URL --model ID --max-tokens N --reps N --out FILE
    server_bench.py load --url URL --pid PID --model ID --clients N --duration S --max-tokens N --out FILE
    server_bench.py report --single FILE --load FILE --info FILE

`single`: the same greedy chat request to `fusion serve` and to llama-server, one at a time,
alternating which goes first, after one warm-up request each. tokens/s = completion_tokens / wall
time of the whole request; llama-server's own decode rate comes from its `timings`.
`load`: N client threads, each with its own keep-alive connection, send requests back to back for
S seconds (requests in flight at the deadline finish and count); any non-200 or exception is an
error. The server's VmRSS is sampled every second from /proc/PID/status.
"""
import argparse
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse

PROMPT = ("Write a detailed technical explanation of how a hash table works: hashing, buckets, "
          "collisions, separate chaining, open addressing, load factor, resizing and the cost of each "
          "operation. Use several paragraphs and at least 600 words.")
LOAD_QUESTIONS = [
    "Name three primary colors.",
    "What is the capital of Italy?",
    "Give one synonym for 'happy'.",
    "How many legs does a spider have?",
    "What is 7 times 8?",
    "Name a planet in the solar system.",
    "What color is the sky on a clear day?",
    "Say hello in French.",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_health(url, timeout):
    deadline = time.monotonic() + float(timeout)
    parts = urllib.parse.urlsplit(url)
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", parts.path or "/")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return
            last = f"HTTP {resp.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.3)
    sys.exit(f"{url} not healthy within {timeout} s ({last})")


class Client:
    """One keep-alive connection to a base URL such as http://127.0.0.1:8080."""

    def __init__(self, base, timeout=600):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn = None
        self.reconnects = 0

    def post(self, path, body):
        """Returns (status, parsed JSON or raw text, wall seconds); raises on transport errors."""
        data = json.dumps(body).encode()
        start = time.monotonic()
        for attempt in (0, 1):
            reused = self.conn is not None
            if not reused:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError):
                # A keep-alive connection the server closed while idle: retry once on a new one
                # (counted in `reconnects`); on a fresh connection it is an error.
                self.close()
                if attempt == 1 or not reused:
                    raise
                self.reconnects += 1
                start = time.monotonic()
            except Exception:
                self.close()
                raise
        wall = time.monotonic() - start
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode(errors="replace")
        return resp.status, payload, wall

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def chat_body(model, content, max_tokens):
    return {"model": model, "messages": [{"role": "user", "content": content}],
            "max_tokens": max_tokens, "temperature": 0, "stream": False}


def one_single(client, model, max_tokens):
    status, payload, wall = client.post("/v1/chat/completions", chat_body(model, PROMPT, max_tokens))
    if status != 200 or not isinstance(payload, dict):
        sys.exit(f"HTTP {status}: {str(payload)[:300]}")
    usage = payload.get("usage") or {}
    timings = payload.get("timings") or {}
    choice = (payload.get("choices") or [{}])[0]
    completion = int(usage.get("completion_tokens", 0))
    return {
        "wall_s": wall,
        "prompt_tokens": int(usage.get("prompt_tokens", 0)),
        "completion_tokens": completion,
        "tokens_per_s": completion / wall if wall > 0 else 0.0,
        "finish_reason": choice.get("finish_reason"),
        "text": (choice.get("message") or {}).get("content") or "",
        # llama-server only: its own decode and prompt rates, and prompt tokens taken from its cache.
        "decode_per_s": timings.get("predicted_per_second"),
        "prompt_per_s": timings.get("prompt_per_second"),
        "cached_prompt_tokens": timings.get("cache_n"),
    }


def single(args):
    sides = {"ours": Client(args.ours), "llama-server": Client(args.theirs)}
    runs = {name: [] for name in sides}
    for name, client in sides.items():          # warm-up: loads our model, fills page cache and KV cache
        r = one_single(client, args.model, args.max_tokens)
        print(f"warm-up {name}: {r['completion_tokens']} tokens in {r['wall_s']:.2f} s", file=sys.stderr)
    for rep in range(args.reps):
        order = ["ours", "llama-server"] if rep % 2 == 0 else ["llama-server", "ours"]
        for name in order:
            r = one_single(sides[name], args.model, args.max_tokens)
            runs[name].append(r)
            extra = f", decode {r['decode_per_s']:.2f} tok/s (timings)" if r["decode_per_s"] else ""
            print(f"rep {rep + 1}/{args.reps} {name}: {r['completion_tokens']} tokens in {r['wall_s']:.2f} s "
                  f"= {r['tokens_per_s']:.2f} tok/s{extra} ({r['finish_reason']})", file=sys.stderr)
    result = {"model": args.model, "max_tokens": args.max_tokens, "reps": args.reps, "prompt": PROMPT, "runs": runs}
    for name, rs in runs.items():
        result[name] = {
            "tokens_per_s": statistics.median(r["tokens_per_s"] for r in rs),
            "wall_s": statistics.median(r["wall_s"] for r in rs),
            "completion_tokens": statistics.median(r["completion_tokens"] for r in rs),
            "prompt_tokens": rs[-1]["prompt_tokens"],
            "finish_reasons": sorted({str(r["finish_reason"]) for r in rs}),
            "decode_per_s": statistics.median(r["decode_per_s"] for r in rs) if all(r["decode_per_s"] for r in rs) else None,
        }
    result["same_text"] = runs["ours"][-1]["text"] == runs["llama-server"][-1]["text"]
    theirs = result["llama-server"]["tokens_per_s"]
    result["ratio"] = result["ours"]["tokens_per_s"] / theirs if theirs > 0 else float("nan")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


def read_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-p * len(sorted_values) // 100)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def load(args):
    lock = threading.Lock()
    latencies, errors, statuses = [], [], {}
    reconnects = [0]
    finished = threading.Event()

    def worker(index):
        client = Client(args.url, timeout=args.request_timeout)
        n = index
        while time.monotonic() < deadline:
            question = LOAD_QUESTIONS[n % len(LOAD_QUESTIONS)]
            n += 1
            t0 = time.monotonic()
            try:
                status, payload, wall = client.post("/v1/chat/completions", chat_body(args.model, question, args.max_tokens))
                ok = status == 200 and isinstance(payload, dict) and bool(payload.get("choices"))
                note = None if ok else f"HTTP {status}: {str(payload)[:200]}"
            except Exception as e:  # noqa: BLE001 - every failure counts
                client.close()
                status, wall, ok, note = "exception", time.monotonic() - t0, False, f"{type(e).__name__}: {e}"
            with lock:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if ok:
                    latencies.append(wall)
                else:
                    errors.append(note)
        client.close()
        with lock:
            reconnects[0] += client.reconnects

    rss = []
    rss_idle = read_rss_kib(args.pid)
    # One request first, so the model is loaded before the clock starts (and RSS "start" includes it).
    status, payload, wall = Client(args.url).post("/v1/chat/completions", chat_body(args.model, LOAD_QUESTIONS[0], args.max_tokens))
    if status != 200:
        sys.exit(f"warm-up request failed: HTTP {status}: {str(payload)[:300]}")
    print(f"warm-up: {wall:.2f} s; {args.clients} clients for {args.duration:g} s", file=sys.stderr)
    start = time.monotonic()
    deadline = start + args.duration

    def sampler():
        while not finished.is_set():
            value = read_rss_kib(args.pid)
            if value is not None:
                rss.append((round(time.monotonic() - start, 1), value))
            finished.wait(1.0)

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    finished.set()
    sampling.join()
    rss_after = read_rss_kib(args.pid)
    latencies.sort()
    values = [v for _, v in rss]
    result = {
        "model": args.model, "clients": args.clients, "duration_s": args.duration, "max_tokens": args.max_tokens,
        "elapsed_s": elapsed, "requests": len(latencies) + len(errors), "ok": len(latencies), "errors": len(errors),
        "statuses": statuses, "error_samples": errors[:5], "reconnects": reconnects[0],
        "requests_per_s": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "latency_s": {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                      "min": latencies[0] if latencies else float("nan"), "max": latencies[-1] if latencies else float("nan")},
        "rss_kib": {"idle": rss_idle, "start": values[0] if values else None, "peak": max(values) if values else None,
                    "end": values[-1] if values else None, "after": rss_after, "samples": len(values)},
        "rss_series": rss,
    }
    print(f"load: {result['requests']} requests ({result['errors']} errors) in {elapsed:.1f} s, "
          f"p50 {result['latency_s']['p50']:.2f} s, p99 {result['latency_s']['p99']:.2f} s", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


def mib(kib):
    return "?" if kib is None else f"{kib / 1024:.1f} MiB"


def report(args):
    with open(args.info) as f:
        info = json.load(f)
    s = json.load(open(args.single)) if args.single else None
    l = json.load(open(args.load)) if args.load else None
    lines = []
    if s:
        o, t = s["ours"], s["llama-server"]
        ok = s["ratio"] >= 0.95
        lines += [
            f"### 1. Single-model chat: fusion serve vs llama-server ({s['model']})",
            "",
            "| server | tokens/s (completion ÷ request wall time) | decode tok/s (timings) | completion tokens | prompt tokens | wall s | finish |",
            "|---|---:|---:|---:|---:|---:|---|",
            f"| fusion serve | {o['tokens_per_s']:.2f} | – | {o['completion_tokens']:.0f} | {o['prompt_tokens']} | {o['wall_s']:.2f} | {', '.join(o['finish_reasons'])} |",
            f"| llama-server | {t['tokens_per_s']:.2f} | {t['decode_per_s']:.2f} | {t['completion_tokens']:.0f} | {t['prompt_tokens']} | {t['wall_s']:.2f} | {', '.join(t['finish_reasons'])} |"
            if t["decode_per_s"] else
            f"| llama-server | {t['tokens_per_s']:.2f} | – | {t['completion_tokens']:.0f} | {t['prompt_tokens']} | {t['wall_s']:.2f} | {', '.join(t['finish_reasons'])} |",
            "",
            f"- Ratio ours ÷ llama-server: **{s['ratio']:.3f}** (target ≥ 0.95: {'met' if ok else 'NOT met'}); "
            f"medians of {s['reps']} alternating repetitions after one warm-up request each; "
            f"max_tokens {s['max_tokens']}, temperature 0, same prompt; "
            f"greedy answers {'identical' if s['same_text'] else 'differ'} between the two servers.",
            "",
        ]
    if l:
        lat, rss = l["latency_s"], l["rss_kib"]
        lines += [
            f"### 2. {l['clients']} concurrent clients for {l['duration_s']:g} s ({l['model']}, max_tokens {l['max_tokens']})",
            "",
            "| requests | errors | req/s | p50 latency | p99 latency | RSS idle | RSS start | RSS peak | RSS end |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {l['requests']} | {l['errors']} | {l['requests_per_s']:.2f} | {lat['p50']:.2f} s | {lat['p99']:.2f} s "
            f"| {mib(rss['idle'])} | {mib(rss['start'])} | {mib(rss['peak'])} | {mib(rss['end'])} |",
            "",
            f"- Statuses: {', '.join(f'{k}: {v}' for k, v in sorted(l['statuses'].items()))}; took {l['elapsed_s']:.1f} s "
            f"(requests in flight at the deadline finish); {l.get('reconnects', 0)} keep-alive reconnects; RSS sampled every second ({rss['samples']} samples) from "
            f"/proc/PID/status; idle = before the warm-up request, start = first sample after it.",
        ]
        if l["error_samples"]:
            lines.append(f"- First errors: {'; '.join(str(e) for e in l['error_samples'])}")
        lines.append("")
    lines += [
        "### Setup",
        "",
        f"- Date: {info['date']}; command: `{info['command']}`.",
        f"- Machine: {info['cpu']}; nproc {info['nproc']}; RAM {info['ram']}; {info['os']}.",
        f"- fusion {info['commit']} (`{info['fusion_bin']}`); llama.cpp {info['llama_source']}.",
        f"- fusion serve: `{info['ours_cmd']}`; llama-server: `{info['theirs_cmd']}`.",
        f"- Load average at the start {info['load_start']}; during the measurements other processes used "
        f"{info.get('other_pct', '?')} % of one core on average (machine busy time minus ours, /proc/stat).",
    ]
    if info.get("shutdown"):
        lines.append(f"- {info['shutdown']}")
    print("\n".join(lines))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port")
    w = sub.add_parser("wait-health")
    w.add_argument("url")
    w.add_argument("timeout", type=float)
    s = sub.add_parser("single")
    s.add_argument("--ours", required=True)
    s.add_argument("--theirs", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--max-tokens", type=int, default=256)
    s.add_argument("--reps", type=int, default=5)
    s.add_argument("--out", required=True)
    lo = sub.add_parser("load")
    lo.add_argument("--url", required=True)
    lo.add_argument("--pid", type=int, required=True)
    lo.add_argument("--model", required=True)
    lo.add_argument("--clients", type=int, default=16)
    lo.add_argument("--duration", type=float, default=60)
    lo.add_argument("--max-tokens", type=int, default=32)
    lo.add_argument("--request-timeout", type=float, default=600)
    lo.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--single")
    r.add_argument("--load")
    r.add_argument("--info", required=True)
    args = p.parse_args()
    if args.cmd == "free-port":
        free_port()
    elif args.cmd == "wait-health":
        wait_health(args.url, args.timeout)
    elif args.cmd == "single":
        single(args)
    elif args.cmd == "load":
        load(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
