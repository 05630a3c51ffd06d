"""Measurements for scripts/bench/moa-baseline.sh (standard library only).

    moa_baseline.py moa --server BIN --models-dir DIR --proposers A,B,C --aggregator X --mode seq|par
                        --reps N --timeout S --threads T --ctx-size C --max-tokens N --agg-max-tokens N
                        --seed N --prompt TEXT --logdir DIR --out FILE
    moa_baseline.py fusion --reps N --timeout S --out FILE -- FUSION ARGS...
    moa_baseline.py report --info FILE --seq FILE --par FILE --agg FILE --full FILE

`moa` is what a user would write without LocalFusion, in the style of Together's Mixture-of-Agents
reference code: one llama-server per model (started one after another before anything is timed,
startup reported apart), every proposer asked the question over HTTP (one after another for
--mode seq, all at once in threads for --mode par, MoA's default), then one aggregator asked the
question with the proposers' answers in its system message. Every request is greedy, seeded,
`ignore_eos: true` (exactly max_tokens) and `cache_prompt: false` (repetitions cannot reuse the
previous repetition's KV cache). Memory: VmRSS of every llama-server sampled every 0.2 s (peak of
the sum) and the sum of their VmHWM at the end. A repetition that passes --timeout stops the
variant (the servers are killed, which ends their work).

`fusion` runs one `fusion ask --json` command --reps times as a new process, measures its wall
time, samples its VmRSS every 0.2 s and keeps the JSON's trace (stages, peak_resident_bytes).
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

MIB = 1024 * 1024

# Our wording of Together-MoA's aggregate-and-synthesize instruction.
AGGREGATOR_SYSTEM = (
    "Several open-source models have answered the user's latest question; their responses are "
    "listed below. Your job is to merge them into a single answer of the highest quality. Some "
    "responses may contain mistakes or bias, so weigh each one critically instead of repeating it, "
    "keep what is correct, fix what is not, and write one well-organised, accurate and complete "
    "reply.\n\nResponses from the models:")


# --- /proc sampling --------------------------------------------------------------------------------

def proc_kib(pid, key):
    """VmRSS / VmHWM of a process in KiB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Every 0.2 s: the sum of VmRSS over `pids`; keeps the peak of that sum."""

    def __init__(self, pids, interval=0.2):
        self.pids, self.interval = list(pids), interval
        self.peak_kib, self.samples = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            total = sum(proc_kib(p, "VmRSS") for p in self.pids)
            self.peak_kib = max(self.peak_kib, total)
            self.samples += 1
            if self._stop.wait(self.interval):
                break

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        # One last sample: a short run may end between two ticks.
        self.peak_kib = max(self.peak_kib, sum(proc_kib(p, "VmRSS") for p in self.pids))


# --- llama-server ----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, body=None, timeout=600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read() or b"null")


def wait_health(base, proc, timeout):
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited with status {proc.returncode}"
        try:
            status, _ = http_json(base + "/health", timeout=5)
            if status == 200:
                return None
            last = f"HTTP {status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"   # 503 while the model loads
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    return f"not healthy within {timeout} s ({last})"


class Server:
    def __init__(self, binary, model_id, path, args):
        self.model_id, self.port = model_id, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cmd = [binary, "-m", path, "--host", "127.0.0.1", "--port", str(self.port)] + args
        self.proc = None

    def start(self, log_path, timeout=300):
        start = time.monotonic()
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        problem = wait_health(self.base, self.proc, timeout)
        if problem:
            raise RuntimeError(f"llama-server for {self.model_id} {problem}; see {log_path}")
        return time.monotonic() - start

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def chat(server, messages, max_tokens, seed, timeout):
    body = {"model": server.model_id, "messages": messages, "max_tokens": max_tokens,
            "temperature": 0, "seed": seed, "ignore_eos": True, "cache_prompt": False, "stream": False}
    start = time.monotonic()
    _, reply = http_json(server.base + "/v1/chat/completions", body, timeout=timeout)
    wall = time.monotonic() - start
    choice = reply["choices"][0]
    usage = reply.get("usage") or {}
    timings = reply.get("timings") or {}
    return {"model": server.model_id, "text": choice["message"].get("content") or "",
            "finish_reason": choice.get("finish_reason"), "wall_s": wall,
            "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
            "prefill_ms": timings.get("prompt_ms"), "decode_ms": timings.get("predicted_ms")}


def aggregator_messages(prompt, answers):
    listed = "\n".join(f"{i + 1}. {a['text'].strip()}" for i, a in enumerate(answers))
    return [{"role": "system", "content": AGGREGATOR_SYSTEM + "\n" + listed},
            {"role": "user", "content": prompt}]


def moa_once(args, proposers, aggregator):
    user = [{"role": "user", "content": args.prompt}]
    start = time.monotonic()
    if args.mode == "seq":
        answers = [chat(s, user, args.max_tokens, args.seed, args.timeout) for s in proposers]
    else:
        answers = [None] * len(proposers)
        errors = []

        def ask(i, s):
            try:
                answers[i] = chat(s, user, args.max_tokens, args.seed, args.timeout)
            except Exception as e:  # reported by the caller
                errors.append(f"{s.model_id}: {e}")
        threads = [threading.Thread(target=ask, args=(i, s), daemon=True) for i, s in enumerate(proposers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError("; ".join(errors))
    proposed = time.monotonic()
    final = chat(aggregator, aggregator_messages(args.prompt, answers), args.agg_max_tokens, args.seed, args.timeout)
    end = time.monotonic()
    return {"wall_s": end - start, "proposers_s": proposed - start, "aggregator_s": end - proposed,
            "calls": answers + [final],
            "completion_tokens": sum(c["completion_tokens"] or 0 for c in answers + [final]),
            "aggregator_prompt_tokens": final["prompt_tokens"]}


def cmd_moa(args):
    ids = [m for m in args.proposers.split(",") if m]
    server_args = ["-t", str(args.threads), "-tb", str(args.threads), "-c", str(args.ctx_size), "-np", "1",
                   "--no-webui"]
    def path(m):
        p = os.path.join(args.models_dir, m + ".gguf")
        if not os.path.isfile(p):
            sys.exit(f"model {m} missing ({p}): fusion models pull {m}")
        return p
    proposers = [Server(args.server, m, path(m), server_args) for m in ids]
    aggregator = Server(args.server, args.aggregator, path(args.aggregator), server_args)
    servers = proposers + [aggregator]
    result = {"mode": args.mode, "proposers": ids, "aggregator": args.aggregator, "reps": [],
              "timeout_s": args.timeout, "timed_out": False, "error": None,
              "server_cmd": servers[0].cmd[:1] + ["-m", "MODEL.gguf"] + server_args}
    try:
        # One after another, as a user's start script would (and without oversubscribing the warm-ups).
        result["startup_s"] = {}
        for i, s in enumerate(servers):
            result["startup_s"][s.model_id + (" (aggregator)" if s is aggregator else "")] = \
                s.start(os.path.join(args.logdir, f"llama-server-{args.mode}-{i}-{s.model_id}.log"))
        result["startup_total_s"] = sum(result["startup_s"].values())
        pids = [s.proc.pid for s in servers]
        result["idle_rss_kib"] = sum(proc_kib(p, "VmRSS") for p in pids)
        for rep in range(args.reps):
            box = {}

            def run():
                try:
                    box["ok"] = moa_once(args, proposers, aggregator)
                except Exception as e:
                    box["error"] = f"{type(e).__name__}: {e}"
            with Sampler(pids) as sampler:
                worker = threading.Thread(target=run, daemon=True)
                started = time.monotonic()
                worker.start()
                worker.join(args.timeout)
                elapsed = time.monotonic() - started
            if worker.is_alive():
                result["timed_out"] = True
                result["timeout_elapsed_s"] = elapsed
                print(f"moa {args.mode}: repetition {rep + 1} passed the {args.timeout:g} s timeout; "
                      "stopping this variant", file=sys.stderr)
                break
            if "error" in box:
                result["error"] = box["error"]
                print(f"moa {args.mode}: repetition {rep + 1} failed: {box['error']}", file=sys.stderr)
                break
            r = box["ok"]
            r["peak_rss_sum_kib"] = sampler.peak_kib
            r["samples"] = sampler.samples
            result["reps"].append(r)
            print(f"moa {args.mode}: repetition {rep + 1}/{args.reps}: {r['wall_s']:.2f} s "
                  f"(proposers {r['proposers_s']:.2f} s, aggregator {r['aggregator_s']:.2f} s), "
                  f"{r['completion_tokens']} tokens, peak RSS sum {r['peak_rss_sum_kib'] / 1024:.0f} MiB", file=sys.stderr)
        result["hwm_sum_kib"] = sum(proc_kib(p, "VmHWM") for p in pids)
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}"
        print(f"moa {args.mode}: {result['error']}", file=sys.stderr)
    finally:
        for s in servers:
            if result["timed_out"]:
                s.kill()   # they are still decoding; a graceful stop would wait for that
            else:
                s.stop()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    if result["error"]:
        sys.exit(1)


# --- fusion ask ------------------------------------------------------------------------------------

def fusion_numbers(d):
    """Stage times and the loading estimate from one `fusion ask --json` result.

    trace.stages.loading counts the panel's model loads; the aggregator's / judge's load happens
    inside its own stage. Its share is that stage's wall time minus its prefill + decode time
    (model_busy minus the seats' generation time), which also holds a few ms of prompt building."""
    t = d["trace"]
    s = t["stages"]
    panel_busy = sum(r.get("seconds", 0) for r in d.get("responses", []))
    writer_busy = max(0.0, s.get("model_busy", 0) - panel_busy)
    writer_other = max(0.0, s.get("judge", 0) + s.get("synthesis", 0) - writer_busy)
    usage = d.get("usage") or {}
    panel_completion = sum((r.get("usage") or {}).get("completion_tokens", 0) for r in d.get("responses", []))
    panel_prompt = sum((r.get("usage") or {}).get("prompt_tokens", 0) for r in d.get("responses", []))
    return {"stages": s, "panel_loading_s": s.get("loading", 0), "writer_load_s": writer_other,
            "loading_s": s.get("loading", 0) + writer_other,
            "peak_resident_bytes": t.get("peak_resident_bytes"),
            "completion_tokens": usage.get("completion_tokens"),
            "writer_prompt_tokens": (usage.get("prompt_tokens") or 0) - panel_prompt,
            "writer_completion_tokens": (usage.get("completion_tokens") or 0) - panel_completion,
            "seat_tokens": [(r.get("model"), (r.get("usage") or {}).get("completion_tokens"), r.get("finish_reason"))
                            for r in d.get("responses", [])],
            "seat_prompt_tokens": [(r.get("model"), (r.get("usage") or {}).get("prompt_tokens"))
                                   for r in d.get("responses", [])],
            "judge_note": t.get("judge_note"), "status": d.get("status")}


def cmd_fusion(args):
    cmd = args.command[1:] if args.command and args.command[0] == "--" else args.command
    result = {"command": cmd, "reps": [], "timed_out": False, "error": None, "timeout_s": args.timeout}
    for rep in range(args.reps):
        out_path = f"{args.out}.rep{rep + 1}.json"
        err_path = f"{args.out}.rep{rep + 1}.stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            with Sampler([proc.pid]) as sampler:
                try:
                    rc = proc.wait(args.timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    rc = None
            wall = time.monotonic() - start
        if rc is None:
            result["timed_out"] = True
            print(f"fusion: repetition {rep + 1} passed the {args.timeout:g} s timeout", file=sys.stderr)
            break
        try:
            d = json.load(open(out_path))
        except ValueError:
            d = None
        if rc != 0 or not d or d.get("status") != "ok":
            tail = open(err_path, errors="replace").read()[-600:]
            result["error"] = f"exit status {rc}: {(d or {}).get('error') or tail}"
            print(f"fusion: repetition {rep + 1} failed: {result['error']}", file=sys.stderr)
            break
        r = fusion_numbers(d)
        r.update(wall_s=wall, sampled_peak_rss_kib=sampler.peak_kib, samples=sampler.samples)
        r["wall_minus_loading_s"] = wall - r["loading_s"]
        result["reps"].append(r)
        print(f"fusion: repetition {rep + 1}/{args.reps}: {wall:.2f} s (loading {r['loading_s']:.2f} s, "
              f"panel {r['stages']['panel']:.2f} s, judge {r['stages']['judge']:.2f} s, "
              f"synthesis {r['stages']['synthesis']:.2f} s), {r['completion_tokens']} tokens", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    if result["error"]:
        sys.exit(1)


# --- the report ------------------------------------------------------------------------------------

def med(reps, key):
    vals = [r[key] for r in reps if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(x, unit=" s", digits=2):
    return "—" if x is None else f"{x:.{digits}f}{unit}"


def mib(kib=None, b=None):
    if b is not None:
        return f"{b / MIB:,.0f}"
    return "—" if not kib else f"{kib / 1024:,.0f}"


def verdict(value, target, bound=False):
    if value is None:
        return "n/a"
    if value <= target:
        return "met"
    return "missed" + (" (upper bound only)" if bound else "")


def cmd_report(args):
    info = json.load(open(args.info))
    load = lambda p: json.load(open(p)) if p and os.path.exists(p) else None
    seq, par, agg, full = load(args.seq), load(args.par), load(args.agg), load(args.full)

    def moa_row(name, v):
        if not v:
            return f"| {name} | not run | | | | |", None, False
        reps = v["reps"]
        wall = med(reps, "wall_s")
        timed_out = v.get("timed_out")
        if not reps and timed_out:
            wall_txt = f"> {v['timeout_s']:g} s (timeout)"
        elif not reps:
            wall_txt = f"failed: {v.get('error')}"
        else:
            wall_txt = fmt(wall) + (f" ({len(reps)} reps, then timeout)" if timed_out else "")
        split = "" if not reps else f"proposers {fmt(med(reps, 'proposers_s'))}, aggregator {fmt(med(reps, 'aggregator_s'))}; "
        toks = med(reps, "completion_tokens")
        row = (f"| {name} | {wall_txt} | {split}servers started beforehand in {fmt(v.get('startup_total_s'))} "
               f"| {mib(v.get('hwm_sum_kib'))} | {mib(med(reps, 'peak_rss_sum_kib'))} | {'—' if toks is None else int(toks)} |")
        # A variant that timed out before any repetition finished: its time is at least the timeout.
        return row, (wall if reps else (v["timeout_s"] if timed_out else None)), bool(timed_out and not reps)

    def fusion_row(name, v):
        if not v or not v["reps"]:
            why = "not run" if not v else ("timeout" if v.get("timed_out") else f"failed: {v.get('error')}")
            return f"| {name} | {why} | | | | |", None, None
        reps = v["reps"]
        wall, nol = med(reps, "wall_s"), med(reps, "wall_minus_loading_s")
        st = lambda k: statistics.median(r["stages"].get(k, 0) for r in reps)
        stages = f"panel {fmt(st('panel'))}"
        if st("judge"):
            stages += f", judge {fmt(st('judge'))}"
        stages += (f", {'synthesis' if st('judge') else 'aggregator'} {fmt(st('synthesis'))}; loading {fmt(med(reps, 'loading_s'))} "
                   f"(panel {fmt(med(reps, 'panel_loading_s'))} + writer ≈{fmt(med(reps, 'writer_load_s'))})")
        peak = statistics.median(r["peak_resident_bytes"] or 0 for r in reps)
        toks = med(reps, "completion_tokens")
        row = (f"| {name} | {fmt(wall)} with loading, **{fmt(nol)}** without | {stages} "
               f"| {mib(b=peak) if peak else '—'} | {mib(med(reps, 'sampled_peak_rss_kib'))} | {'—' if toks is None else int(toks)} |")
        return row, wall, nol

    r1, seq_wall, _ = moa_row("1. MoA sequential (llama-server ×4, Python)", seq)
    r2, par_wall, par_bound = moa_row("2. MoA parallel proposers", par)
    r3, agg_wall, agg_nol = fusion_row("3. `fusion ask --mode aggregate`", agg)
    r4, full_wall, full_nol = fusion_row("4. `fusion ask` (judge + synthesizer)", full)

    def ratio(num, den):
        return None if num is None or not den else num / den

    def ratio_cells(num_nol, num_wall, den, target, bound=False):
        a, b = ratio(num_nol, den), ratio(num_wall, den)
        lead = "≤ " if bound else ""
        return (f"{'—' if a is None else lead + f'{a:.3f}'} ({verdict(a, target, bound)}) "
                f"| {'—' if b is None else lead + f'{b:.3f}'} ({verdict(b, target, bound)}) | ≤ {target}")

    lines = [
        f"- Command: `{info['command']}`; {info['date']}; fusion {info['commit']}; llama.cpp {info['llama']}.",
        f"- Machine: nproc {info['nproc']}, {info['cpu']}, RAM {info['ram']}; load average at start {info['load_start']}, "
        f"at end {info['load_end']}; other processes used {info['other_pct']} % of one core during the run.",
        f"- Panel {info['proposers']} → aggregator/judge {info['aggregator']}; {info['max_tokens']} tokens per proposer, "
        f"{info['agg_tokens']} aggregator/synthesis, judge {info['judge_tokens']}; -t {info['threads']} each; greedy, seed 1, "
        f"ignore_eos / --ignore-eos; medians of REPS={info['reps']}; prompt: \"{info['prompt']}\".",
        "",
        "| variant | wall | split | peak MiB (VmHWM) | peak MiB (sampled RSS) | tokens |",
        "|---|---|---|---:|---:|---:|",
        r1, r2, r3, r4,
        "",
        "| ratio | fusion without loading | fusion with loading | target |",
        "|---|---|---|---|",
        f"| (3) ÷ (1) aggregate vs MoA sequential | {ratio_cells(agg_nol, agg_wall, seq_wall, 0.9)} |",
        f"| (3) ÷ (2) aggregate vs MoA parallel | {ratio_cells(agg_nol, agg_wall, par_wall, 0.2, par_bound)} |",
        f"| (4) ÷ (1) full fusion vs MoA sequential | {ratio_cells(full_nol, full_wall, seq_wall, 1.3)} |",
        "",
    ]
    notes = ["- MoA times exclude llama-server startup (servers up and warm before timing); fusion's wall is the whole "
             "`fusion ask` process (a new process per question, so it loads every model each time). \"Without loading\" "
             "subtracts trace.stages.loading (the panel's loads) and the writer's load (its stage minus its prefill + "
             "decode); that column is the like-for-like one, \"with loading\" is what a CLI user waits for."]
    if seq and seq.get("startup_total_s") and seq_wall and agg_wall:
        cold = seq["startup_total_s"] + seq_wall
        notes.append(f"- Cold start to cold start (servers started for one question vs one `fusion ask`): MoA sequential "
                     f"{fmt(seq['startup_total_s'])} + {fmt(seq_wall)} = {fmt(cold)}; fusion aggregate ÷ that = {agg_wall / cold:.3f}.")
    # Fusion seats that stopped before the budget did less work than MoA's (llama-server's ignore_eos
    # always runs to max_tokens): add MoA's decode time for the missing tokens, pro rata.
    max_tok = int(info["max_tokens"])
    moa_calls = {c["model"]: c for c in (seq["reps"][0]["calls"][:-1] if seq and seq["reps"] else [])}
    short_seats, extra = [], 0.0
    if agg and agg["reps"]:
        for m, n, why in agg["reps"][0]["seat_tokens"]:
            if n is not None and n < max_tok:
                short_seats.append(f"{m} {n} tokens ({why})")
                c = moa_calls.get(m)
                if c and c.get("decode_ms") and c.get("completion_tokens"):
                    extra += (max_tok - n) * c["decode_ms"] / 1000 / c["completion_tokens"]
    if short_seats:
        adj = [f"{label} ≈ {(nol + extra) / seq_wall:.3f}" for label, nol in (("(3) ÷ (1)", agg_nol), ("(4) ÷ (1)", full_nol))
               if nol is not None and seq_wall]
        notes.append(f"- Fusion did less panel work: {', '.join(short_seats)} despite --ignore-eos, where llama-server "
                     f"generated {max_tok}. Adding MoA's decode time for the missing tokens ({extra:.2f} s), without loading: "
                     + ("; ".join(adj) or "n/a") + ".")
    if full and full["reps"]:
        judge_tok = full["reps"][0]["writer_completion_tokens"] - int(info["agg_tokens"])
        if judge_tok < int(info["judge_tokens"]):
            notes.append(f"- Full fusion: the judge generated ≈{judge_tok} of {info['judge_tokens']} tokens (writer tokens minus "
                         f"{info['agg_tokens']} of synthesis): --ignore-eos does not extend its grammar-bound JSON.")
        jn = full["reps"][0].get("judge_note")
        if jn:
            notes.append(f"- Judge note: {jn[:160]}")
    if agg and agg["reps"] and moa_calls:
        fp = ", ".join(str(n) for _, n in agg["reps"][0].get("seat_prompt_tokens", []))
        mp = ", ".join(str(c["prompt_tokens"]) for c in moa_calls.values())
        notes.append(f"- Proposer prompt tokens: MoA {mp} (llama-server's chat templates), fusion {fp}; "
                     f"aggregator prompt: MoA {seq['reps'][0]['aggregator_prompt_tokens']}, fusion {agg['reps'][0]['writer_prompt_tokens']}.")
    for name, v in (("sequential", seq), ("parallel", par)):
        if v and v["reps"]:
            walls = ", ".join(f"{r['wall_s']:.1f}" for r in v["reps"])
            r = v["reps"][0]
            notes.append(f"- MoA {name}: reps {walls} s{' then timeout' if v.get('timed_out') else ''}; first rep per call "
                         + ", ".join(f"{c['model']} {c['wall_s']:.1f} s/{c['completion_tokens']} tok" for c in r["calls"]) + ".")
        elif v and v.get("timed_out"):
            notes.append(f"- MoA {name}: the first repetition passed the {v['timeout_s']:g} s timeout; the ratio uses "
                         "the timeout as a lower bound of its time, so (3) ÷ (2) is an upper bound.")
    notes.append(f"- llama-server: `{info['server_cmd']}`; fusion: `{info['fusion_cmd']}`.")
    print("\n".join(lines + notes))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("moa")
    m.add_argument("--server", required=True)
    m.add_argument("--models-dir", required=True)
    m.add_argument("--proposers", required=True)
    m.add_argument("--aggregator", required=True)
    m.add_argument("--mode", choices=["seq", "par"], required=True)
    m.add_argument("--reps", type=int, default=3)
    m.add_argument("--timeout", type=float, default=600)
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--ctx-size", type=int, default=4096)
    m.add_argument("--max-tokens", type=int, default=128)
    m.add_argument("--agg-max-tokens", type=int, default=220)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--prompt", required=True)
    m.add_argument("--logdir", required=True)
    m.add_argument("--out", required=True)
    f = sub.add_parser("fusion")
    f.add_argument("--reps", type=int, default=3)
    f.add_argument("--timeout", type=float, default=900)
    f.add_argument("--out", required=True)
    f.add_argument("command", nargs=argparse.REMAINDER)
    r = sub.add_parser("report")
    for k in ("info", "seq", "par", "agg", "full"):
        r.add_argument("--" + k)
    args = p.parse_args()
    {"moa": cmd_moa, "fusion": cmd_fusion, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
