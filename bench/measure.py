#!/usr/bin/env python3
"""Times iamlint and its peers on the corpora of gen_corpora.py and writes the results.

    measure.py --iamlint BIN --venv DIR --out DIR [--only CASE,...] [--timeout S]

For every (corpus, tool): one probe run under `/usr/bin/time -v` and `timeout` gives peak RSS, the
exit code and the output (findings are counted from it); then hyperfine times it (fast tools:
warm-up 3, at least 10 runs; tools slower than 2 s: no warm-up, 3 runs; slower than 60 s: the
probe is the only run). A tool that times out is recorded as "timeout after N s". Results go to
OUT/results.json (merged with earlier runs, so one case can be rerun alone).
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time

# checkov checks about IAM policies and roles (from `checkov --list`, checkov 3.3.30).
# Terraform: *-* admin (1, 62), "*" actions (49, 63), attachments to users (40), role trust
# (60, 61, 393 GitHub OIDC), credentials exposure / exfiltration / permissions management /
# privilege escalation / write without constraints (107-111 on policy documents, 286-290 on
# policy resources), AdministratorAccess (274, 275), "*" principals (283), "*" resources for
# restrictable actions (355, 356), GitHub OIDC claims (358), full IAM (CKV2_AWS_40),
# IAMFullAccess attached (CKV2_AWS_56).
CHECKOV_TF_IAM = ("CKV_AWS_1,CKV_AWS_40,CKV_AWS_49,CKV_AWS_60,CKV_AWS_61,CKV_AWS_62,CKV_AWS_63,"
                  "CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,CKV_AWS_111,CKV_AWS_274,"
                  "CKV_AWS_275,CKV_AWS_283,CKV_AWS_286,CKV_AWS_287,CKV_AWS_288,CKV_AWS_289,"
                  "CKV_AWS_290,CKV_AWS_355,CKV_AWS_356,CKV_AWS_358,CKV_AWS_393,CKV2_AWS_40,"
                  "CKV2_AWS_56")
# CloudFormation: the same families on AWS::IAM::{Role,Policy,ManagedPolicy,Group,User}.
CHECKOV_CFN_IAM = ("CKV_AWS_40,CKV_AWS_60,CKV_AWS_61,CKV_AWS_62,CKV_AWS_63,CKV_AWS_107,"
                   "CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,CKV_AWS_111,CKV_AWS_355")

# Parliament 1.6.4 crashes ("Unknown data format: ArrayOfARN") on these managed policies and then
# stops the whole directory run; they are excluded from its directory runs (see BENCHMARKS.md).
PARLIAMENT_CRASHERS = ["SageMakerStudioEMRContainersSystemNamespaceRolePolicy",
                       "SageMakerStudioProjectUserRolePolicy"]


# ------------------------------------------------------------------ finding counters

def count_iamlint(out):
    d = json.loads(out)
    return d["summary"]["findings"], d["summary"]["parse_errors"]


def count_parliament(out):
    n = 0
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                json.loads(line)
                n += 1
            except ValueError:
                pass
    return n, None


def count_checkov(out):
    start = min([i for i in (out.find("{"), out.find("[")) if i >= 0], default=-1)
    if start < 0:
        return 0, None
    d = json.loads(out[start:])
    reports = d if isinstance(d, list) else [d]
    failed = sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports)
    errors = sum(len(r.get("results", {}).get("parsing_errors", [])) for r in reports)
    return failed, errors


def count_cfn_lint(out):
    d = json.loads(out or "[]")
    return len(d), None


def count_iam_validator(out):
    d = json.loads(out[out.find("{"):])
    n = 0
    for r in d.get("results", d.get("policies", [])):
        n += len(r.get("issues", [])) if isinstance(r, dict) else 0
    return n, None


def count_cloudsplaining_policy(out):
    """scan-policy-file prints one "Potential Issue found" block per risk category."""
    return out.count("Potential Issue found"), None


def count_cloudsplaining_scan(outdir):
    """`scan` writes iam-findings-<input>.json: per policy, a findings list per risk category."""
    def count(_out):
        total = 0
        for name in os.listdir(outdir):
            if not (name.startswith("iam-findings-") and name.endswith(".json")):
                continue
            with open(os.path.join(outdir, name), encoding="utf-8") as f:
                d = json.load(f)
            for kind in ("customer_managed_policies", "inline_policies"):
                for policy in d.get(kind, {}).values():
                    for v in policy.values():
                        if isinstance(v, dict) and isinstance(v.get("findings"), list):
                            total += len(v["findings"])
        return total, None
    return count


# ------------------------------------------------------------------ running

def run_probe(cmd, timeout, cwd, env):
    """One run under GNU time: (seconds, rss_kb, exit code, stdout, timed_out)."""
    rss_file = os.path.join(cwd, ".time-v.txt")
    full = ["/usr/bin/time", "-v", "-o", rss_file, "timeout", "--kill-after=5", str(timeout)] + cmd
    t0 = time.monotonic()
    p = subprocess.run(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    elapsed = time.monotonic() - t0
    rss = None
    cpu = None
    code = p.returncode
    try:
        with open(rss_file, encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss = int(m.group(1)) if m else None
        cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
        m = re.search(r"Exit status: (\d+)", text)
        if m:
            code = int(m.group(1))
    except OSError:
        pass
    timed_out = code in (124, 137)
    return elapsed, rss, cpu, code, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace"), timed_out


def hyperfine(cmd, runs, warmup, timeout, cwd, env, json_out):
    args = ["hyperfine", "-N", "-i", "--style", "none", "--export-json", json_out,
            "--warmup", str(warmup)]
    args += ["--runs", str(runs)] if runs else ["--min-runs", "10"]
    args.append(shlex.join(cmd))
    subprocess.run(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   check=True, timeout=timeout * max(runs or 10, 1) * 2 + 60)
    with open(json_out, encoding="utf-8") as f:
        r = json.load(f)["results"][0]
    return {"median": r["median"], "mean": r["mean"], "stddev": r.get("stddev"),
            "min": r["min"], "max": r["max"], "runs": len(r["times"])}


def measure(case, tool, cmd, counter, args, env, note=None):
    cwd = args.out
    print(f"-- {case} / {tool}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    elapsed, rss, cpu, code, out, err, timed_out = run_probe(cmd, args.timeout, cwd, env)
    rec = {"case": case, "tool": tool, "command": shlex.join(cmd), "load_before": load,
           "probe_seconds": round(elapsed, 3), "cpu_seconds": cpu, "rss_kb": rss,
           "exit_code": code, "note": note}
    if tool != "iamlint" and code not in (0, 1) and not out.strip() and not timed_out:
        rec["crashed"] = (err.strip().splitlines() or ["?"])[-1][:160]
        rec["stderr_tail"] = err.strip().splitlines()[-3:]
    if tool != "iamlint" and code != 0 and re.search(
            r"ConnectError|Name or service not known|Temporary failure in name resolution", err):
        rec["offline"] = err.strip().splitlines()[-1][:160]
        return rec
    if timed_out:
        rec["timeout"] = args.timeout
        print(f"   timeout after {args.timeout} s", file=sys.stderr)
        return rec
    if rec.get("crashed"):
        print(f"   crashed: {rec['crashed']}", file=sys.stderr)
        return rec
    try:
        rec["findings"], rec["errors"] = counter(out)
    except Exception as e:  # a peer printing something unexpected is reported, not fatal
        rec["findings"], rec["errors"] = None, None
        rec["count_error"] = f"{type(e).__name__}: {e}"[:200]
    if code not in (0, 1, 2) or (tool != "iamlint" and code != 0):
        rec["stderr_tail"] = err.strip().splitlines()[-3:]
    if elapsed <= 2:
        runs, warmup = (None, 3)
    elif elapsed <= 60:
        runs, warmup = (3, 0)
    else:
        runs, warmup = (0, 0)
    if runs == 0:
        rec.update({"median": elapsed, "mean": elapsed, "stddev": None, "min": elapsed,
                    "max": elapsed, "runs": 1})
    else:
        hf = os.path.join(args.out, "hyperfine", f"{case}--{tool}.json")
        os.makedirs(os.path.dirname(hf), exist_ok=True)
        rec.update(hyperfine(cmd, runs, warmup, args.timeout, cwd, env, hf))
    rec["load_after"] = os.getloadavg()
    print(f"   median {rec['median']:.4f} s, rss {rss} kB, findings {rec.get('findings')}, "
          f"load {load[0]:.2f}", file=sys.stderr)
    return rec


def version(cmd, env):
    try:
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120, check=False)
        text = (p.stdout or p.stderr).decode("utf-8", "replace").strip().splitlines()
        return text[-1] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iamlint", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--tools", default="", help="only these tools (default: all)")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    iam = os.path.abspath(args.iamlint)
    venvs = os.path.abspath(args.venv)
    tools = {"parliament": "parliament", "checkov": "checkov", "cfn-lint": "cfn-lint",
             "cloudsplaining": "cloudsplaining", "iam-validator": "iam-policy-validator"}
    # Each peer lives in its own venv (checkov pins cloudsplaining and boto3 versions that clash).
    have = {}
    for tool, package in tools.items():
        exe = os.path.join(venvs, package, "bin", tool)
        have[tool] = exe if os.access(exe, os.X_OK) else None
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    # checkov: never call home (it otherwise waits on a network timeout at every start).
    env["BC_SKIP_MAPPING"] = "TRUE"
    env["CHECKOV_RUN_SCA_PACKAGE_SCAN_V2"] = "false"
    c = "corpora"
    TOOL = {t: (p or t) for t, p in have.items()}
    excl = "|".join(PARLIAMENT_CRASHERS)
    cloudsplaining_out = os.path.join(args.out, "cloudsplaining")
    shutil.rmtree(cloudsplaining_out, ignore_errors=True)
    os.makedirs(cloudsplaining_out)
    cases = {
        "small": [
            ("iamlint", [iam, "--format", "json", f"{c}/small/policy.json"], count_iamlint),
            ("parliament", [TOOL["parliament"], "--json", "--files", f"{c}/small/policy.json"],
             count_parliament),
            ("cloudsplaining", [TOOL["cloudsplaining"], "scan-policy-file", "--input-file",
                                f"{c}/small/policy.json"], count_cloudsplaining_policy),
            ("iam-validator", [TOOL["iam-validator"], "validate", "--format", "json", "--path",
                               f"{c}/small/policy.json"], count_iam_validator),
        ],
        "managed": [
            ("iamlint", [iam, "--format", "json", f"{c}/managed"], count_iamlint),
            ("parliament", [TOOL["parliament"], "--json", "--directory", f"{c}/managed",
                            "--include_policy_extension", "json", "--exclude_pattern",
                            f".*({excl}).*"], count_parliament),
            ("iam-validator", [TOOL["iam-validator"], "validate", "--format", "json", "--path",
                               f"{c}/managed"], count_iam_validator),
        ],
        "managed-auth": [
            ("iamlint", [iam, "--format", "json", f"{c}/managed-auth-details.json"],
             count_iamlint),
            ("parliament", [TOOL["parliament"], "--json", "--auth-details-file",
                            f"{c}/managed-auth-details.json"], count_parliament),
            ("cloudsplaining", [TOOL["cloudsplaining"], "scan", "--input-file",
                                f"{c}/managed-auth-details.json", "--output",
                                cloudsplaining_out, "--skip-open-report"],
             count_cloudsplaining_scan(cloudsplaining_out)),
        ],
        "terraform": [
            ("iamlint", [iam, "--format", "json", f"{c}/terraform"], count_iamlint),
            ("checkov", [TOOL["checkov"], "--quiet", "--skip-download", "-o", "json", "-d",
                         f"{c}/terraform", "--framework", "terraform", "--check",
                         CHECKOV_TF_IAM], count_checkov),
        ],
        "cloudformation": [
            ("iamlint", [iam, "--format", "json", f"{c}/cloudformation"], count_iamlint),
            ("checkov", [TOOL["checkov"], "--quiet", "--skip-download", "-o", "json", "-d",
                         f"{c}/cloudformation", "--framework", "cloudformation", "--check",
                         CHECKOV_CFN_IAM], count_checkov),
            ("cfn-lint", [TOOL["cfn-lint"], "--format", "json", "--",
                          f"{c}/cloudformation/*.yaml", f"{c}/cloudformation/*.json"],
             count_cfn_lint),
        ],
        "big": [
            ("iamlint", [iam, "--format", "json", f"{c}/big/big.json"], count_iamlint),
            ("parliament", [TOOL["parliament"], "--json", "--auth-details-file", f"{c}/big/big.json"],
             count_parliament),
        ],
        "scaled-1x": [("iamlint", [iam, "--format", "json", f"{c}/scaled/1x"], count_iamlint)],
        "scaled-2x": [("iamlint", [iam, "--format", "json", f"{c}/scaled/2x"], count_iamlint)],
        "scaled-4x": [("iamlint", [iam, "--format", "json", f"{c}/scaled/4x"], count_iamlint)],
        "many": [("iamlint", [iam, "--format", "json", f"{c}/many"], count_iamlint)],
    }
    only = [s for s in args.only.split(",") if s]
    results_path = os.path.join(args.out, "results.json")
    old = {}
    if os.path.exists(results_path):
        with open(results_path, encoding="utf-8") as f:
            old = json.load(f)
    results = {r["case"] + "/" + r["tool"]: r for r in old.get("results", [])}
    skipped = old.get("skipped", {})
    offline_failures = set()
    for case, tools in cases.items():
        if only and case not in only:
            continue
        for tool, cmd, counter in tools:
            key = f"{case}/{tool}"
            if args.tools and tool not in args.tools.split(","):
                continue
            if tool != "iamlint" and not have.get(tool):
                skipped[tool] = "not installed (see bench/out/pip-*.log)"
                continue
            if tool in skipped and tool != "iamlint" and have.get(tool):
                skipped.pop(tool)
            if tool in offline_failures:
                continue
            rec = measure(case, tool, cmd, counter, args, env)
            if rec.get("offline"):
                offline_failures.add(tool)
                skipped[tool] = (f"needs the network at run time (`{rec['offline']}`); this "
                                 "machine reaches package registries only")
                results.pop(key, None)
                continue
            results[key] = rec
    versions = {
        "iamlint": version([iam, "-V"], env),
        **{t: version([p, "--version"], env) for t, p in have.items() if p},
        "hyperfine": version(["hyperfine", "--version"], env),
    }
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    machine = {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
               "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
               "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    with open(results_path, "w", encoding="utf-8") as f:
        json.dump({"machine": machine, "versions": versions, "skipped": skipped,
                   "results": sorted(results.values(), key=lambda r: (r["case"], r["tool"]))},
                  f, indent=1)
    print(f"wrote {results_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
