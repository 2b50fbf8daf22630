#!/usr/bin/env python3
"""Where iamlint and its peers disagree, per file, statement and action.

    verdicts.py --iamlint BIN --venv bench/out/venv --out bench/out [--corpus NAME,...]

JSON corpora (parliament): the managed policies and the generated policies, pretty-printed into
OUT/verdicts/<corpus>/ so that a line number names a statement. Both tools' findings become
(file, statement, class, action) keys; the classes both tools have are compared key by key, the
others are counted. Terraform and CloudFormation (checkov): a checkov failure agrees when iamlint
has a finding of a matching rule inside the failed resource's line range.

Writes OUT/verdicts/summary.json and OUT/verdicts/report-<corpora>.md (counts, then samples of every kind
of disagreement, for classifying by hand in BENCHMARKS.md).
"""

import argparse
import collections
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import CHECKOV_CFN_IAM, CHECKOV_TF_IAM, PARLIAMENT_CRASHERS  # noqa: E402

# iamlint rule <-> parliament issue, where both mean the same thing.
PARLIAMENT_SHARED = {
    "resource-star": "RESOURCE_STAR",
    "unknown-action": "UNKNOWN_ACTION",
    "unknown-service": "UNKNOWN_PREFIX",
}
# Compared per statement only (the findings name their subject too differently to match actions).
PARLIAMENT_SHARED_STMT = {
    "unknown-condition-key": "UNKNOWN_CONDITION_FOR_ACTION",
    "condition-type-mismatch": "MISMATCHED_TYPE",
    "invalid-arn": "INVALID_ARN",
    "arn-resource-mismatch": "RESOURCE_MISMATCH",
}
# checkov check -> iamlint rules that would report the same statement.
CHECKOV_SHARED = {
    "CKV_AWS_1": {"wildcard-action"}, "CKV_AWS_62": {"wildcard-action"},
    "CKV_AWS_49": {"wildcard-action"}, "CKV_AWS_63": {"wildcard-action"},
    "CKV_AWS_355": {"resource-star"}, "CKV_AWS_356": {"resource-star"},
    "CKV_AWS_286": {"wildcard-action", "resource-star"},
    "CKV_AWS_110": {"wildcard-action", "resource-star"},
    "CKV_AWS_289": {"wildcard-action", "resource-star"},
    "CKV_AWS_109": {"wildcard-action", "resource-star"},
    "CKV_AWS_290": {"resource-star"}, "CKV_AWS_111": {"resource-star"},
    "CKV_AWS_287": {"resource-star"}, "CKV_AWS_107": {"resource-star"},
    "CKV_AWS_288": {"resource-star"}, "CKV_AWS_108": {"resource-star"},
}

ACTION_RE = re.compile(r"`([a-zA-Z0-9-]+:[A-Za-z0-9*?]+)`")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCESS = {}


def load_catalog():
    """{"svc:action" (lower case): [(resource type, required)]} from iamlint's embedded data;
    access levels in ACCESS."""
    cat = {}
    with open(os.path.join(ROOT, "rules", "catalog", "catalog.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            for a in d["actions"]:
                cat[f"{d['prefix']}:{a[0]}".lower()] = [(r[0], bool(r[1])) for r in a[2]]
                ACCESS[f"{d['prefix']}:{a[0]}".lower()] = a[1]
    return cat


def statement(dst, name, idx):
    with open(os.path.join(dst, name), encoding="utf-8") as f:
        st = json.load(f).get("Statement")
    st = st if isinstance(st, list) else [st]
    return st[idx] if 0 <= idx < len(st) else {}


def abac(stmt):
    return "resourcetag/" in json.dumps(stmt.get("Condition", {})).lower()


def why_parliament_only(cat, stmt, action):
    if abac(stmt):
        return "ABAC: statement scoped by a ResourceTag condition (iamlint skips by design)"
    if "NotAction" in stmt:
        return "NotAction statement: parliament checks the excluded actions as if granted"
    if action not in cat:
        return "action unknown to iamlint's catalog (retired by AWS)"
    if not cat[action]:
        return "iamlint's catalog: no resource type (not scopable)"
    return "other"


def why_iamlint_only(cat, stmt, action, parliament_unknown):
    if not action:
        return "summarised iamlint message; parliament flags nothing in the statement"
    if parliament_unknown:
        return "parliament skips the resource checks of a statement with an unknown action"
    if action in cat and cat[action] and not any(req for _, req in cat[action]):
        level = ACCESS.get(action, "")
        kind = "List/Read" if level in ("List", "Read") else "Write/Tagging/Permissions"
        return f"only optional resource types, {kind} (parliament counts required ones only)"
    return "other (newer AWS data: resource type added after parliament's data)"


def pretty_corpus(src, dst):
    """Pretty-prints every policy and returns {file: [first line of statement i]}."""
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    starts = {}
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(src, name), encoding="utf-8") as f:
            doc = json.load(f)
        text = json.dumps(doc, indent=2)
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        lines = text.split("\n")
        st = []
        inside = False
        for i, line in enumerate(lines, 1):
            if line.startswith('  "Statement": ['):
                inside = True
            elif line.startswith('  "Statement": {'):
                st.append(i)
            elif inside and line == "    {":
                st.append(i)
            elif inside and line.startswith("  ]"):
                inside = False
        starts[name] = st
    return starts


def stmt_of(starts, name, line):
    idx = -1
    for i, s in enumerate(starts.get(name, [])):
        if s <= line:
            idx = i
    return idx


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                       env=dict(os.environ, BC_SKIP_MAPPING="TRUE", NO_COLOR="1"))
    return p.stdout.decode("utf-8", "replace")


def iamlint_findings(iam, path):
    d = json.loads(run([iam, "--format", "json", path]))
    return d["findings"], d["errors"]


def parliament_findings(venv, path):
    exe = os.path.join(venv, "parliament", "bin", "parliament")
    excl = "|".join(PARLIAMENT_CRASHERS)
    out = run([exe, "--json", "--directory", path, "--include_policy_extension", "json",
               "--exclude_pattern", f".*({excl}).*"])
    found = []
    for line in out.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def parliament_actions(f):
    detail = f.get("detail")
    if isinstance(detail, str):
        # "Unknown action s3:GetObjects", "Unknown prefix lamda"
        m = re.match(r"Unknown (?:action|prefix) (\S+)", detail)
        return [m.group(1) if m else detail]
    acts = []
    for d in detail or []:
        if isinstance(d, str):
            acts.append(d)
        elif isinstance(d, dict) and "action" in d:
            acts.append(d["action"])
    return acts or [None]


def compare_json(args, corpus, src):
    dst = os.path.join(args.out, "verdicts", corpus)
    starts = pretty_corpus(src, dst)
    ours, _errors = iamlint_findings(args.iamlint, dst)
    theirs = parliament_findings(args.venv, dst)
    with open(dst + "-iamlint.json", "w", encoding="utf-8") as f:
        json.dump(ours, f)
    with open(dst + "-parliament.json", "w", encoding="utf-8") as f:
        json.dump(theirs, f)
    keys = {"iamlint": collections.defaultdict(set), "parliament": collections.defaultdict(set)}
    other = {"iamlint": collections.Counter(), "parliament": collections.Counter()}
    samples = collections.defaultdict(list)
    excluded = {n + ".json" for n in PARLIAMENT_CRASHERS}
    for f in ours:
        name = os.path.basename(f["path"])
        if name in excluded:
            continue
        st = stmt_of(starts, name, f["line"])
        cls = f["rule"]
        if cls in PARLIAMENT_SHARED_STMT:
            keys["iamlint"][cls].add((name, st, ""))
            samples[("iamlint", cls, name, st)].append(f["message"])
        elif cls in PARLIAMENT_SHARED:
            acts = ACTION_RE.findall(f["message"])
            if cls == "unknown-action":
                m = re.match(r"`([^`]+)` is not an action of `([^`]+)`", f["message"])
                acts = [f"{m.group(2)}:{m.group(1)}"] if m else acts
            if cls == "unknown-service":
                m = re.match(r"`([^`]+)` is not a known service prefix", f["message"])
                acts = [m.group(1)] if m else acts
            if cls == "resource-star" and " more on every resource" in f["message"]:
                acts = [None]  # a summarised list: compare at statement level only
            for a in acts or [None]:
                keys["iamlint"][cls].add((name, st, (a or "").lower()))
                samples[("iamlint", cls, name, st)].append(f["message"])
        else:
            other["iamlint"][cls] += 1
    for f in theirs:
        name = os.path.basename(f["location"]["filepath"])
        st = stmt_of(starts, name, f["location"].get("line") or 0)
        issue = f["issue"]
        cls = next((k for k, v in PARLIAMENT_SHARED.items() if v == issue), None)
        stmt_cls = next((k for k, v in PARLIAMENT_SHARED_STMT.items() if v == issue), None)
        if stmt_cls:
            keys["parliament"][stmt_cls].add((name, st, ""))
            samples[("parliament", stmt_cls, name, st)].append(json.dumps(f.get("detail")))
        elif cls:
            for a in parliament_actions(f):
                keys["parliament"][cls].add((name, st, (a or "").lower()))
                samples[("parliament", cls, name, st)].append(json.dumps(f.get("detail")))
        else:
            other["parliament"][issue] += 1
    cat = load_catalog()
    unknown_stmts = {(n, st) for n, st, _ in keys["parliament"]["unknown-action"]} | \
        {(n, st) for n, st, _ in keys["parliament"]["unknown-service"]}
    result = {"corpus": corpus, "files": len(starts), "shared": {}, "iamlint_only_classes":
              dict(other["iamlint"]), "parliament_only_classes": dict(other["parliament"])}
    lines = [f"## {corpus} ({len(starts)} files): iamlint vs parliament", ""]
    shared = {**PARLIAMENT_SHARED, **PARLIAMENT_SHARED_STMT}
    for cls in shared:
        a, b = keys["iamlint"][cls], keys["parliament"][cls]
        # An iamlint key agrees with a parliament key of the same statement when the actions are
        # equal, or iamlint's is a pattern as written (`ec2:*`) matching parliament's expanded
        # action, or iamlint's message was summarised ("... and 2 more": action "").
        def matches(ours_act, theirs_act):
            if ours_act == "" or ours_act == theirs_act:
                return True
            return ("*" in ours_act or "?" in ours_act) and fnmatch.fnmatchcase(theirs_act, ours_act)

        by_stmt_a = collections.defaultdict(set)
        by_stmt_b = collections.defaultdict(set)
        for n, st, act in a:
            by_stmt_a[(n, st)].add(act)
        for n, st, act in b:
            by_stmt_b[(n, st)].add(act)
        b_only = {k for k in b if not any(matches(x, k[2]) for x in by_stmt_a.get((k[0], k[1]), ()))}
        a_only = {k for k in a if not any(matches(k[2], y) for y in by_stmt_b.get((k[0], k[1]), ()))}
        both = len(a) - len(a_only)
        result["shared"][cls] = {"both": both, "iamlint_only": len(a_only),
                                 "parliament_only": len(b_only)}
        if cls == "resource-star":
            reasons = {"iamlint_only": collections.Counter(), "parliament_only": collections.Counter()}
            for n, st, act in a_only:
                reasons["iamlint_only"][why_iamlint_only(
                    cat, statement(dst, n, st), act, (n, st) in unknown_stmts)] += 1
            for n, st, act in b_only:
                reasons["parliament_only"][why_parliament_only(cat, statement(dst, n, st), act)] += 1
            result["shared"][cls]["reasons"] = {k: dict(v) for k, v in reasons.items()}
            for k, v in reasons.items():
                lines.append(f"- {k} by reason: {dict(v.most_common())}")
        lines.append(f"### {cls} / {shared[cls]}: agree {both}, iamlint-only "
                     f"{len(a_only)}, parliament-only {len(b_only)}")
        for label, keyset in (("iamlint-only", a_only), ("parliament-only", b_only)):
            by_action = collections.Counter(k[2] for k in keyset)
            lines.append(f"- {label}, most frequent actions: " + ", ".join(
                f"`{act or '(statement)'}` x{n}" for act, n in by_action.most_common(25)))
            for k in sorted(keyset)[:15]:
                lines.append(f"  - {k[0]} statement {k[1]}: `{k[2]}`")
        lines.append("")
    lines.append(f"- iamlint classes parliament has no counterpart for: {dict(other['iamlint'])}")
    lines.append(f"- parliament classes iamlint has no counterpart for: "
                 f"{dict(other['parliament'])}")
    lines.append("")
    return result, lines


def compare_checkov(args, corpus, src, framework, checks):
    exe = os.path.join(args.venv, "checkov", "bin", "checkov")
    out = run([exe, "--quiet", "--skip-download", "-o", "json", "-d", src, "--framework",
               framework, "--check", checks])
    start = min([i for i in (out.find("{"), out.find("[")) if i >= 0], default=-1)
    d = json.loads(out[start:]) if start >= 0 else {}
    reports = d if isinstance(d, list) else [d]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    ours, errors = iamlint_findings(args.iamlint, src)
    by_file = collections.defaultdict(list)
    for f in ours:
        by_file[os.path.relpath(os.path.abspath(f["path"]), os.path.abspath(src))].append(f)
    agree, checkov_only = collections.Counter(), collections.Counter()
    covered = set()
    samples = collections.defaultdict(list)
    for c in failed:
        rel = c["file_path"].lstrip("/")
        lo, hi = c["file_line_range"]
        rules = CHECKOV_SHARED.get(c["check_id"])
        hits = [f for f in by_file.get(rel, []) if lo <= f["line"] <= hi
                and (rules is None or f["rule"] in rules)]
        for f in hits:
            covered.add(id(f))
        if hits:
            agree[c["check_id"]] += 1
        else:
            checkov_only[c["check_id"]] += 1
            samples[c["check_id"]].append(f"{rel}:{lo}-{hi} {c['resource']}")
    ours_only = collections.Counter(f["rule"] for f in ours if id(f) not in covered)
    result = {"corpus": corpus, "checkov_failed": len(failed), "iamlint_findings": len(ours),
              "iamlint_errors": len(errors), "agree": dict(agree),
              "checkov_only": dict(checkov_only), "iamlint_only": dict(ours_only)}
    lines = [f"## {corpus}: iamlint vs checkov ({framework})", "",
             f"checkov failed checks: {len(failed)}; iamlint findings: {len(ours)}, input errors: "
             f"{len(errors)}", "",
             f"- agree (iamlint finding of a matching rule inside the resource): {dict(agree)}",
             f"- checkov-only: {dict(checkov_only)}",
             f"- iamlint-only (finding outside any failed checkov resource): {dict(ours_only)}"]
    for check, s in sorted(samples.items()):
        lines.append(f"  - {check}: " + "; ".join(s[:5]))
    lines.append("")
    return result, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iamlint", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default="managed,generated,terraform,cloudformation")
    args = ap.parse_args()
    args.iamlint = os.path.abspath(args.iamlint)
    args.venv = os.path.abspath(args.venv)
    corpora = os.path.join(args.out, "corpora")
    wanted = args.corpus.split(",")
    results, lines = [], ["# iamlint vs peers: disagreements", ""]
    for corpus in ("managed", "generated"):
        if corpus in wanted and os.path.isdir(os.path.join(corpora, corpus)):
            r, l = compare_json(args, corpus, os.path.join(corpora, corpus))
            results.append(r)
            lines += l
    if "terraform" in wanted:
        r, l = compare_checkov(args, "terraform", os.path.join(corpora, "terraform"),
                               "terraform", CHECKOV_TF_IAM)
        results.append(r)
        lines += l
    if "cloudformation" in wanted:
        r, l = compare_checkov(args, "cloudformation", os.path.join(corpora, "cloudformation"),
                               "cloudformation", CHECKOV_CFN_IAM)
        results.append(r)
        lines += l
    os.makedirs(os.path.join(args.out, "verdicts"), exist_ok=True)
    summary = os.path.join(args.out, "verdicts", "summary.json")
    if os.path.exists(summary):
        # Keep the corpora not rerun this time.
        with open(summary, encoding="utf-8") as f:
            done = {r["corpus"] for r in results}
            results = [r for r in json.load(f) if r["corpus"] not in done] + results
    with open(summary, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "verdicts", f"report-{'-'.join(wanted)}.md"), "w",
              encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
