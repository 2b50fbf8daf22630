"""Per-repository, per-rule, per-severity counts of one `iamlint check --format json` run.

    ecosystem_summary.py NAME EXIT_CODE RUN.json   -> TSV rows (repository, kind, name, severity, count)
    ecosystem_summary.py --totals SUMMARY.tsv      -> totals per rule and severity, exit codes
"""
import collections
import json
import sys


def rows(name, code, path):
    out = [(name, "exit", str(code), "-", 1)]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        out.append((name, "broken-output", type(e).__name__, "-", 1))
        return out
    counts = collections.Counter((f["rule"], f["severity"]) for f in doc.get("findings", []))
    for (rule, sev), n in sorted(counts.items()):
        out.append((name, "rule", rule, sev, n))
    errs = collections.Counter(e.get("kind", "error") for e in doc.get("errors", []))
    for kind, n in sorted(errs.items()):
        out.append((name, "error-entry", kind, "-", n))
    return out


def totals(path):
    per = collections.Counter()
    exits = collections.Counter()
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            repo, kind, name, sev, n = line.rstrip("\n").split("\t")
            if kind == "exit":
                exits[name] += 1
            else:
                per[(kind, name, sev)] += int(n)
    print("exit codes: " + ", ".join(f"{c}: {n}" for c, n in sorted(exits.items())))
    for (kind, name, sev), n in sorted(per.items()):
        print(f"{kind:12} {name:32} {sev:8} {n:6}")


if __name__ == "__main__":
    if sys.argv[1] == "--totals":
        totals(sys.argv[2])
    else:
        for r in rows(sys.argv[1], int(sys.argv[2]), sys.argv[3]):
            print("\t".join(str(x) for x in r))
