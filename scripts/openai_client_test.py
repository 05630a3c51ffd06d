"""Checks fusion's OpenAI-compatible API with the real, unmodified `openai` Python client.

Run by scripts/test-openai-client.sh, which starts `fusion serve` and passes:
    FUSION_PORT      the port the server listens on (127.0.0.1)
    FUSION_API_KEY   the key it requires
    LF_ROOT          the repository (for models/presets.json)
Prints one PASS/FAIL line per check and a summary; exits 1 if any check failed.
"""
import json
import os
import sys
import time
import traceback

import openai

PORT = int(os.environ["FUSION_PORT"])
KEY = os.environ["FUSION_API_KEY"]
ROOT = os.environ.get("LF_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BASE_URL = f"http://127.0.0.1:{PORT}/v1"
CATALOG = ["smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
SINGLE = "qwen2.5-coder-0.5b"
QUESTION = "What is the capital of France? Answer in one word."
# max_retries=0: a failure must show up as the error it is, not as a retried request.
client = openai.OpenAI(base_url=BASE_URL, api_key=KEY, timeout=600, max_retries=0)

with open(os.path.join(ROOT, "models", "presets.json")) as f:
    PRESETS = json.load(f)


def preset_panel(name):
    return {seat["model"] for seat in PRESETS["presets"][name]["panel"]}


def ask(content=QUESTION):
    return [{"role": "user", "content": content}]


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def fusion_of(obj):
    """The extra top-level `fusion` object (pydantic keeps unknown fields in model_extra)."""
    extra = obj.model_extra or {}
    expect("fusion" in extra, f"no 'fusion' object in the response (extra keys: {sorted(extra)})")
    details = extra["fusion"]
    expect(isinstance(details, dict), f"'fusion' is a {type(details).__name__}, not an object")
    return details


def response_models(details):
    return {r.get("model") for r in details.get("responses", [])}


def short(text, n=90):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


state = {}
results = []


def check(name):
    def register(fn):
        def run():
            start = time.monotonic()
            try:
                note = fn() or ""
                ok = True
            except CheckFailed as e:
                ok, note = False, str(e)
            except Exception as e:  # the client's own exception, quoted exactly
                ok, note = False, f"{type(e).__module__}.{type(e).__name__}: {e}"
                traceback.print_exc(file=sys.stderr)
            took = time.monotonic() - start
            results.append(ok)
            print(f"{'PASS' if ok else 'FAIL'}  {name} ({took:.1f} s){' — ' + note if note else ''}", flush=True)
        run.__name__ = fn.__name__
        checks.append(run)
        return fn
    return register


checks = []


@check("models.list() has the catalog models, fusion and the presets")
def models_list():
    ids = [m.id for m in client.models.list()]
    wanted = CATALOG + ["fusion"] + [f"fusion/{p}" for p in PRESETS["presets"]]
    missing = [m for m in wanted if m not in ids]
    expect(not missing, f"missing {missing} in {ids}")
    return f"{len(ids)} models"


@check(f"single model {SINGLE}, temperature 0: the capital of France")
def single_model():
    resp = client.chat.completions.create(model=SINGLE, messages=ask(), temperature=0, max_tokens=16)
    text = resp.choices[0].message.content or ""
    expect("paris" in text.lower(), f"no 'Paris' in {text!r}")
    expect(resp.model == SINGLE, f"model is {resp.model!r}")
    expect(resp.choices[0].finish_reason in ("stop", "length"), f"finish_reason {resp.choices[0].finish_reason!r}")
    expect(resp.usage and resp.usage.total_tokens > 0, f"usage {resp.usage}")
    expect(resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens, f"usage does not add up: {resp.usage}")
    expect("fusion" not in (resp.model_extra or {}), "a single-model answer carries a 'fusion' object")
    state["single_total"] = resp.usage.total_tokens
    return f"{text!r}, {resp.usage.total_tokens} tokens"


@check('model="fusion" (default preset), not streamed')
def fusion_default():
    resp = client.chat.completions.create(model="fusion", messages=ask(), max_tokens=48)
    text = resp.choices[0].message.content or ""
    expect(text.strip(), "empty answer")
    expect("paris" in text.lower(), f"no 'Paris' in {text!r}")
    expect(resp.choices[0].finish_reason in ("stop", "length"), f"finish_reason {resp.choices[0].finish_reason!r}")
    single = state.get("single_total", 0)
    expect(resp.usage and resp.usage.total_tokens > single,
           f"usage.total_tokens {resp.usage and resp.usage.total_tokens} not above a single call's {single}")
    details = fusion_of(resp)
    expect(details.get("route") == "model", f"fusion.route is {details.get('route')!r}")
    preset = details.get("preset") or PRESETS["default"]
    expect(preset == PRESETS["default"], f"fusion.preset is {preset!r}, the default is {PRESETS['default']!r}")
    expect(details.get("status") == "ok", f"fusion.status is {details.get('status')!r}")
    got, want = response_models(details), preset_panel(preset)
    expect(got == want, f"fusion.responses come from {sorted(got)}, the {preset} panel is {sorted(want)}")
    expect(all((r.get("text") or "").strip() for r in details["responses"]), "a panel response is empty")
    expect(not details.get("failed_models"), f"failed_models: {details.get('failed_models')}")
    for key in ("analysis", "usage", "trace"):
        expect(key in details, f"no fusion.{key}")
    return f"{short(text, 50)!r}, {resp.usage.total_tokens} tokens, panel {sorted(got)}"


@check('model="fusion/fast", stream=True, include_usage')
def fusion_stream():
    stream = client.chat.completions.create(model="fusion/fast", messages=ask(), max_tokens=48, stream=True,
                                            stream_options={"include_usage": True})
    text, finishes, usage_chunks, details, chunks = "", [], [], None, 0
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:
            usage_chunks.append(chunk.usage)
            expect(not chunk.choices, "the usage chunk has choices")
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                text += choice.delta.content
            if choice.finish_reason is not None:
                finishes.append(choice.finish_reason)
                details = (chunk.model_extra or {}).get("fusion")
    expect(text.strip(), f"the deltas concatenate to an empty answer ({chunks} chunks)")
    expect(len(finishes) == 1, f"{len(finishes)} chunks with a finish_reason: {finishes}")
    expect(len(usage_chunks) == 1, f"{len(usage_chunks)} usage chunks")
    usage = usage_chunks[0]
    expect(usage.total_tokens > usage.completion_tokens > 0, f"usage {usage}")
    expect(isinstance(details, dict), "the finish chunk carries no 'fusion' object")
    got, want = response_models(details), preset_panel("fast")
    expect(got == want, f"fusion.responses come from {sorted(got)}, the fast panel is {sorted(want)}")
    return f"{chunks} chunks, {short(text, 50)!r}, {usage.total_tokens} tokens"


PLUGIN_PANEL = ["smollm2-135m", "qwen2.5-coder-0.5b"]
PLUGIN_JUDGE = "qwen2.5-coder-1.5b"


@check(f"plugins via extra_body: panel {PLUGIN_PANEL}, judge {PLUGIN_JUDGE}")
def plugin():
    resp = client.chat.completions.create(
        model=SINGLE, messages=ask(), max_tokens=48,
        extra_body={"plugins": [{"id": "fusion", "model": PLUGIN_JUDGE, "analysis_models": PLUGIN_PANEL}]})
    text = resp.choices[0].message.content or ""
    expect(text.strip(), "empty answer")
    details = fusion_of(resp)
    expect(details.get("route") == "plugin", f"fusion.route is {details.get('route')!r}")
    expect(details.get("status") == "ok", f"fusion.status is {details.get('status')!r}")
    got = sorted(r.get("model") for r in details.get("responses", []))
    expect(got == sorted(PLUGIN_PANEL), f"fusion.responses come from {got}, expected exactly {sorted(PLUGIN_PANEL)}")
    trace = json.dumps(details.get("trace", {}))
    expect(PLUGIN_JUDGE in trace, f"the trace does not mention the judge {PLUGIN_JUDGE}")
    return f"{short(text, 50)!r}, panel {got}"


@check('server tool: tools=[{"type": "fusion"}], tool_choice="required"')
def tool():
    resp = client.chat.completions.create(model=SINGLE, messages=ask(), max_tokens=48,
                                          tools=[{"type": "fusion"}], tool_choice="required")
    choice = resp.choices[0]
    text = choice.message.content or ""
    expect(text.strip(), f"empty answer (finish_reason {choice.finish_reason!r}, tool_calls {choice.message.tool_calls})")
    details = fusion_of(resp)
    expect(details.get("route") == "tool", f"fusion.route is {details.get('route')!r}")
    expect((details.get("tool_result") or "").strip(), "no fusion.tool_result")
    expect("paris" in text.lower(), f"no 'Paris' in {text!r} (the fusion tool returned {short(details['tool_result'], 60)!r})")
    expect(response_models(details), "no fusion.responses")
    fusion_total = (details.get("usage") or {}).get("total_tokens", 0)
    expect(resp.usage.total_tokens > fusion_total, f"usage {resp.usage.total_tokens} does not add the outer model to the fusion's {fusion_total}")
    return f"{short(text, 40)!r}, tool_result {short(details['tool_result'], 30)!r}"


def expect_error(cls, call, status, code=None):
    try:
        call()
    except cls as e:
        expect(e.status_code == status, f"status {e.status_code}, expected {status}")
        body = e.body if isinstance(e.body, dict) else {}
        # The client hands over the `error` object of {"error": {...}} as `body`.
        for key in ("message", "type", "param", "code"):
            expect(key in body, f"error body has no {key!r}: {e.body!r}")
        if code is not None:
            expect(body.get("code") == code, f"error code {body.get('code')!r}, expected {code!r}")
        return f"{type(e).__name__} {e.status_code}: {short(body.get('message'), 70)!r}"
    except openai.APIError as e:
        raise CheckFailed(f"raised {type(e).__name__} ({getattr(e, 'status_code', '?')}: {e}), expected {cls.__name__}")
    raise CheckFailed(f"no error, expected {cls.__name__}")


@check("wrong API key → openai.AuthenticationError")
def wrong_key():
    bad = openai.OpenAI(base_url=BASE_URL, api_key=KEY + "-wrong", timeout=60, max_retries=0)
    return expect_error(openai.AuthenticationError, lambda: bad.models.list(), 401)


@check("wrong API key on chat.completions → openai.AuthenticationError")
def wrong_key_chat():
    bad = openai.OpenAI(base_url=BASE_URL, api_key=KEY + "-wrong", timeout=60, max_retries=0)
    return expect_error(openai.AuthenticationError,
                        lambda: bad.chat.completions.create(model=SINGLE, messages=ask(), max_tokens=4), 401)


@check("unknown model → openai.NotFoundError (model_not_found)")
def unknown_model():
    return expect_error(openai.NotFoundError,
                        lambda: client.chat.completions.create(model="no-such-model", messages=ask(), max_tokens=4),
                        404, code="model_not_found")


@check('temperature="hot" → openai.BadRequestError')
def bad_parameter():
    return expect_error(openai.BadRequestError,
                        lambda: client.chat.completions.create(model=SINGLE, messages=ask(), max_tokens=4,
                                                               temperature="hot"), 400)


@check("streamed request with an unknown model → openai.NotFoundError before any chunk")
def unknown_model_stream():
    return expect_error(openai.NotFoundError,
                        lambda: list(client.chat.completions.create(model="no-such-model", messages=ask(),
                                                                    max_tokens=4, stream=True)), 404)


def main():
    print(f"openai {openai.__version__} against {BASE_URL}", flush=True)
    started = time.monotonic()
    for run in checks:
        run()
    passed, total = sum(results), len(results)
    print(f"SUMMARY: {passed}/{total} checks passed in {time.monotonic() - started:.0f} s"
          + ("" if passed == total else f", {total - passed} FAILED"), flush=True)
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
