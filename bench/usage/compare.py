#!/usr/bin/env python3
"""Compares the actions of trailscraper's policies with iamlint usage's on the same records.

    compare.py IAMLINT_JSON TRAILSCRAPER_ALL TRAILSCRAPER_APP_ROLE

Each trailscraper argument is a policy file or a folder of policy files (one per shard of the
corpus, run.sh); a folder stands for the union of its policies' actions. trailscraper writes one
policy for every selected record; iamlint one minimal policy per principal of the tree (and counts
the other identities). The union of iamlint's used actions is compared with trailscraper's whole
policy (identities outside the tree left aside), and app-role's minimal policy with trailscraper's
policy for that role alone.
"""
import json
import os
import sys


def actions_of(policy):
    out = set()
    for s in policy.get("Statement", []):
        a = s.get("Action", [])
        out.update([a] if isinstance(a, str) else a)
    return out


def actions_of_path(path):
    """The actions of a policy file, or the union over a folder of them (each must parse)."""
    if not os.path.isdir(path):
        return actions_of(json.load(open(path)))
    files = sorted(f for f in os.listdir(path) if f.endswith(".json"))
    if not files:
        sys.exit(f"{path}: no policy files")
    out = set()
    for f in files:
        with open(os.path.join(path, f)) as fh:
            try:
                out |= actions_of(json.load(fh))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}/{f}: not a policy ({e}); see the .time file beside it")
    return out


def main():
    usage = json.load(open(sys.argv[1]))
    ts_all = actions_of_path(sys.argv[2])
    ts_app = actions_of_path(sys.argv[3])
    used = set()
    app_policy = set()
    for p in usage["principals"]:
        used.update(u["action"] for u in p["used"])
        if p["name"] == "app-role":
            app_policy = actions_of(p["minimal_policy"] or {})
    outside_only = {"ec2:DescribeInstances"}  # the identities not in the tree call only this
    print(f"trailscraper (all records): {len(ts_all)} actions; iamlint used (principals of the tree): {len(used)}")
    print(f"  only trailscraper: {sorted(ts_all - used - outside_only)}")
    print(f"  only iamlint: {sorted(used - ts_all)}")
    print(f"app-role: trailscraper {sorted(ts_app)}")
    print(f"          iamlint minimal policy {sorted(app_policy)}")
    missing = ts_app - app_policy
    print(f"  trailscraper's app-role actions missing from iamlint's: {sorted(missing) or 'none'}")


if __name__ == "__main__":
    main()
