#!/usr/bin/env bash
# Pathological inputs of issue #17: generates each probe into a temporary folder and measures one
# iamlint binary on it (wall time, peak RSS, exit code), under a 30 s timeout and a 4 GB address
# space limit. Prints one markdown table row per probe.
#
#   IAMLINT=target/release/iamlint bench/pathological.sh
#   IAMLINT=/tmp/base/iamlint TIMEOUT=30 bench/pathological.sh   # the "before" column
#
# A probe passes when it ends within the timeout and memory limit (bounded), and, for the
# exfiltration probes, when no byte of the outside secret reaches the output ("leak" column).
set -euo pipefail

IAMLINT=${IAMLINT:-target/release/iamlint}
IAMLINT=$(realpath "$IAMLINT")
TIMEOUT=${TIMEOUT:-30}
MEM_KB=${MEM_KB:-4194304}
ONLY=${ONLY:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$work
repo=$top/repo
mkdir -p "$repo/.git"
echo "SECRETMARKERZQ" >"$top/secret.txt"

gen() { python3 - "$@"; }

probe_dir() { mkdir -p "$repo/$1"; echo "$repo/$1"; }

tf_file_probe() { # name, expression
  local d; d=$(probe_dir "$1")
  cat >"$d/main.tf" <<EOF
resource "aws_iam_policy" "p" {
  policy = $2
}
EOF
}

tf_file_probe exfil_passwd 'file("../../../../../../../../../../etc/passwd")'
tf_file_probe exfil_outside 'templatefile("../../secret.txt", {})'
tf_file_probe exfil_environ 'file("../../../../../../../../../../proc/self/environ")'
tf_file_probe dev_zero 'file("../../../../../../../../../../dev/zero")'
tf_file_probe dev_stdin 'file("../../../../../../../../../../dev/stdin")'
tf_file_probe exfil_abspath "file(\"$top/secret.txt\")"
tf_file_probe exfil_fileset 'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = fileset("/", "etc/*"), Resource = "*" }] })'
touch "$top/SECRETMARKERZQ.json"
linked_probe() { # name, file name, its text, link name, link target outside
  local d; d=$(probe_dir "$1")
  printf '%s\n' "$3" >"$d/$2"
  ln -s "$5" "$d/$4"
}
mkdir -p "$top/outside_module"
printf 'output "a" { value = "SECRETMARKERZQ:Get" }\n' >"$top/outside_module/main.tf"
linked_probe module_symlink main.tf 'module "m" { source = "./m" }
resource "aws_iam_policy" "p" { policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = module.m.a, Resource = "*" }] }) }' \
  m "$top/outside_module"
printf 'SECRETMARKERZQ = "x"\n' >"$top/secret.toml"
# A policy, not a .tf file: a partial Terraform run plans every .tf file of the root, and the
# refused config (an error that stops the run) would end every other probe.
linked_probe config_symlink policy.json '{"Version": "2012-10-17", "Statement": []}' \
  iamlint.toml "$top/secret.toml"
d=$(probe_dir tfvars_symlink)
cat >"$d/main.tf" <<'EOF'
variable "a" { default = "s3:GetObject" }
resource "aws_iam_policy" "p" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = var.a, Resource = "*" }] })
}
EOF
printf 'a = "SECRETMARKERZQ:Get"\n' >"$top/secret.tfvars"
ln -s "$top/secret.tfvars" "$d/terraform.tfvars"
mkfifo "$repo/fifo.json"

# Exploding strings: doubling through locals, format() and replace() growth.
d=$(probe_dir explode_locals)
gen "$d/main.tf" <<'EOF'
import sys
n = 25
lines = ["locals {", '  s0 = "AAAAAAAAAAAAAAAA"']
lines += [f'  s{i} = "${{local.s{i-1}}}${{local.s{i-1}}}"' for i in range(1, n + 1)]
lines += ["}", 'resource "aws_iam_policy" "p" {',
          f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:${{local.s{n}}}", Resource = "*" }}] }})',
          "}"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
d=$(probe_dir explode_format)
gen "$d/main.tf" <<'EOF'
import sys
n = 25
lines = ["locals {", '  s0 = "AAAAAAAAAAAAAAAA"']
lines += [f'  s{i} = format("%s%s", local.s{i-1}, replace(local.s{i-1}, "A", "A"))' for i in range(1, n + 1)]
lines += ["}", 'resource "aws_iam_policy" "p" {',
          f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:${{local.s{n}}}", Resource = "*" }}] }})',
          "}"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
d=$(probe_dir cfn_sub)
gen "$d/template.yaml" <<'EOF'
import sys, json
inner = "AAAAAAAAAAAAAAAA"
value = {"Fn::Sub": ["${A}${A}", {"A": inner}]}
for _ in range(12):
    value = {"Fn::Sub": ["${A}${A}", {"A": value}]}
doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": value, "Resource": "*"}]}}}}}
open(sys.argv[1], "w").write(json.dumps(doc))
EOF
d=$(probe_dir module_fanout)
gen "$d" <<'EOF'
import sys, os
root = sys.argv[1]
for level, name in enumerate(["a", "b", "c"]):
    os.makedirs(f"{root}/{name}", exist_ok=True)
call = {0: "a", 1: "b", 2: "c"}
open(f"{root}/main.tf", "w").write('module "m" {\n  source = "./a"\n  count = 16\n}\n')
open(f"{root}/a/main.tf", "w").write('module "m" {\n  source = "../b"\n  count = 16\n}\n')
open(f"{root}/b/main.tf", "w").write('module "m" {\n  source = "../c"\n  count = 16\n}\n')
open(f"{root}/c/main.tf", "w").write('resource "aws_iam_policy" "p" {\n  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })\n}\n')
EOF

# Rules on big inputs.
d=$(probe_dir rules)
gen "$d" <<'EOF'
import sys, json
d = sys.argv[1]
def policy(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
open(f"{d}/duplicate_sid.json", "w").write(policy(
    [{"Sid": "Same", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"} for _ in range(400_000)]))
open(f"{d}/redundant_action.json", "w").write(policy(
    [{"Effect": "Allow", "Action": [f"s3:Get{i}*" for i in range(20_000)], "Resource": "*"}]))
open(f"{d}/unknown_actions.json", "w").write(policy(
    [{"Effect": "Allow", "Action": [f"s3:NoSuchAction{i}" for i in range(50_000)], "Resource": "*"}]))
open(f"{d}/statements_400k.json", "w").write(policy(
    [{"Sid": f"S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::bucket-{i}/*"} for i in range(400_000)]))
open(f"{d}/action_star.json", "w").write(policy(
    [{"Effect": "Allow", "Action": "*", "Resource": "*"}]))
open(f"{d}/small.json", "w").write(policy(
    [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]))
EOF

# --- check bounds (issue 25) -------------------------------------------------------------------
# A 5.5 MB NotAction list; six 97 KB Terraform folders of for_each resources; a partial run in a
# repository holding a 1.5 GB .tf elsewhere (sparse: no disk used); 400,000 statements that each
# draw findings.
gen "$repo/rules" <<'EOF'
import sys, json
d = sys.argv[1]
items, i, size = [], 0, 0
while size < 5_500_000:
    item = [f"s3:NoSuchAction{i}", f"s3:Get{i}*", f"*:Nope{i}", f"ec2:Describe*{i}"][i % 4]
    items.append(item)
    size += len(item) + 4
    i += 1
open(f"{d}/not_action_5mb.json", "w").write(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": items, "Resource": "*"}]}))
open(f"{d}/findings_400k.json", "w").write(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:*", "iam:PassRole"], "Resource": "*"} for _ in range(400_000)]}))
EOF
d=$(probe_dir tf_instances)
gen "$d" <<'EOF'
import sys, os
keys = ", ".join(f'"k{i}"' for i in range(256))
for f in range(6):
    os.makedirs(f"{sys.argv[1]}/m{f}", exist_ok=True)
    text, i = f"locals {{\n  keys = toset([{keys}])\n}}\n", 0
    while len(text) < 97_000:
        text += (f'resource "aws_iam_policy" "p{i}" {{\n  for_each = local.keys\n'
                 f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Sid = "S{i}", '
                 f'Effect = "Allow", Action = ["s3:*", "iam:PassRole", "ec2:Describe*"], Resource = "*" }}] }})\n}}\n')
        i += 1
    open(f"{sys.argv[1]}/m{f}/main.tf", "w").write(text)
EOF
partial=$top/partial_repo
mkdir -p "$partial/.git" "$partial/mod" "$partial/elsewhere"
printf 'resource "aws_iam_policy" "p" {\n  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })\n}\n' >"$partial/mod/main.tf"
truncate -s 1500M "$partial/elsewhere/huge.tf"

# name | what | path | stdin
probes=(
  "exfil_passwd|file(\"../…/etc/passwd\")|exfil_passwd|"
  "exfil_outside|templatefile(\"../../secret.txt\")|exfil_outside|"
  "exfil_environ|file(\"../…/proc/self/environ\")|exfil_environ|"
  "tfvars_symlink|symlinked terraform.tfvars outside|tfvars_symlink|"
  "exfil_abspath|file(\"/abs/…/secret.txt\") outside the root|exfil_abspath|"
  "exfil_fileset|fileset(\"/\", \"etc/*\")|exfil_fileset|"
  "module_symlink|module folder linked outside, its output used|module_symlink|"
  "config_symlink|iamlint.toml linked outside|config_symlink|"
  "dev_zero|file(\"../…/dev/zero\")|dev_zero|"
  "dev_stdin|file(\"../…/dev/stdin\"), stdin an open pipe|dev_stdin|pipe"
  "fifo|a FIFO named on the command line|fifo.json|"
  "explode_locals|string doubled through 25 locals (1 KB .tf)|explode_locals|"
  "explode_format|format()/replace() doubling, 25 locals|explode_format|"
  "cfn_sub|13 nested Fn::Sub|cfn_sub|"
  "module_fanout|module fan-out 16×16×16|module_fanout|"
  "duplicate_sid|400,000 statements with one Sid|rules/duplicate_sid.json|"
  "redundant_action|20,000 wildcard patterns in one list|rules/redundant_action.json|"
  "unknown_actions|50,000 distinct unknown actions|rules/unknown_actions.json|"
  "statements_400k|400,000 statements (36 MB)|rules/statements_400k.json|"
  "action_star|small file with \"Action\": \"*\"|rules/action_star.json|"
  "small|small file (reference)|rules/small.json|"
)
# check bounds (issue 25)
probes+=(
  "not_action_5mb|5.5 MB NotAction list (220,000 names and patterns)|rules/not_action_5mb.json|"
  "tf_instances|six 97 KB folders of for_each resources over 256 keys|tf_instances|"
  "partial_huge|check mod/main.tf beside a 1.5 GB .tf elsewhere|../partial_repo/mod/main.tf|"
  "findings_400k|400,000 statements drawing findings (29 MB)|rules/findings_400k.json|"
)

echo "| probe | input | time (s) | peak RSS (MB) | exit | leak |"
echo "|---|---|---:|---:|---:|---|"
for p in "${probes[@]}"; do
  IFS='|' read -r name what path stdin <<<"$p"
  if [[ -n "$ONLY" && ! " $ONLY " =~ " $name " ]]; then continue; fi
  out=$work/out.$name
  stats=$work/stats.$name
  set +e
  if [[ "$stdin" == pipe ]]; then
    (cd "$repo" && sleep $((TIMEOUT + 5)) | (ulimit -v "$MEM_KB"; /usr/bin/time -f "%e %M" -o "$stats" \
      timeout -s KILL "$TIMEOUT" "$IAMLINT" check --format json "$path") >"$out" 2>&1)
  else
    (cd "$repo" && (ulimit -v "$MEM_KB"; /usr/bin/time -f "%e %M" -o "$stats" \
      timeout -s KILL "$TIMEOUT" "$IAMLINT" check --format json "$path" </dev/null) >"$out" 2>&1)
  fi
  set -e
  read -r secs rss_kb < <(grep -E '^[0-9.]+ [0-9]+$' "$stats" | tail -1 || echo "? 0")
  code=$(grep -oE 'non-zero status [0-9]+' "$stats" | grep -oE '[0-9]+$' || echo 0)
  if [[ "$code" == 137 ]]; then code="killed at ${TIMEOUT} s"; fi
  if grep -q "Command terminated by signal" "$stats"; then code="killed"; fi
  leak=no
  if grep -qE 'SECRETMARKERZQ|root:x:0:0|PATH=' "$out"; then leak=YES; fi
  rss_mb=$(( ${rss_kb:-0} / 1024 ))
  echo "| $name | $what | $secs | $rss_mb | $code | $leak |"
done

# Issue #25: `iamlint diff --base HEAD` probes, each a repository whose HEAD is the base and whose
# working tree is the change. Same limits; one more table, without the leak column.
diff_repo() { # name: a fresh repository, its path printed
  local d=$work/diff/$1
  mkdir -p "$d"
  git -C "$d" init -q
  echo "$d"
}
git_as_bench() { git -c user.name=bench -c user.email=bench@example.com "$@"; }
# A 284 KB tree naming one policy 100,000 times (5 levels of 10), written with git plumbing.
d=$(diff_repo diff_tree_bomb)
(
  cd "$d"
  entry=$(printf '{"Version": "2012-10-17", "Statement": []}' | git hash-object -w --stdin)
  kind=blob
  for _ in 1 2 3 4 5; do
    entry=$(for i in 0 1 2 3 4 5 6 7 8 9; do
      if [[ $kind == blob ]]; then printf '100644 blob %s\tp%s.json\n' "$entry" "$i"
      else printf '040000 tree %s\td%s\n' "$entry" "$i"; fi
    done | git mktree)
    kind=tree
  done
  git update-ref HEAD "$(git_as_bench commit-tree "$entry" -m bomb)"
)
# One 60 MiB blob named 40 times (a commit of some 600 KB).
d=$(diff_repo diff_big_blob)
(
  cd "$d"
  blob=$(head -c $((60 << 20)) /dev/zero | tr '\0' ' ' | git hash-object -w --stdin)
  tree=$(for i in $(seq 1 40); do printf '100644 blob %s\tbig%s.json\n' "$blob" "$i"; done | git mktree)
  git update-ref HEAD "$(git_as_bench commit-tree "$tree" -m big)"
)
# Policy pairs: the generator's "base" output committed, its "head" output written over it.
diff_pair() { # name, python generator (argv: path, side)
  local d; d=$(diff_repo "$1")
  gen "$d/p.json" base <<<"$2"
  git -C "$d" add -A
  git_as_bench -C "$d" commit -qm base
  gen "$d/p.json" head <<<"$2"
}
diff_pair diff_star_pair_12k '
import sys, json
side = sys.argv[2]
st = [{"Effect": "Allow", "Action": "*", "Resource": f"arn:aws:s3:::{side}-{i}/*"} for i in range(200)]
open(sys.argv[1], "w").write(json.dumps({"Version": "2012-10-17", "Statement": st}))
'
diff_pair diff_statements_10k '
import sys, json
side = sys.argv[2]
st = [{"Sid": f"S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{side}-{i}/*"} for i in range(10_000)]
open(sys.argv[1], "w").write(json.dumps({"Version": "2012-10-17", "Statement": st}))
'
diff_pair diff_statements_400k '
import sys, json
side = sys.argv[2]
st = [{"Sid": f"S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{side}-{i}/*"} for i in range(400_000)]
open(sys.argv[1], "w").write(json.dumps({"Version": "2012-10-17", "Statement": st}))
'
# Wildcards that backtrack: `x*aaa…ab` (base) against `xaaa…ac*` (head), four per side.
diff_pair diff_long_wildcards '
import sys, json
side = sys.argv[2]
a = "a" * 30_000
res = [f"arn:aws:s3:::{i}x*{a}b" if side == "base" else f"arn:aws:s3:::{i}x{a}c*" for i in range(4)]
st = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": res}]
open(sys.argv[1], "w").write(json.dumps({"Version": "2012-10-17", "Statement": st}))
'

# name | what | repository
diff_probes=(
  "diff_tree_bomb|284 KB tree naming one policy 100,000 times|diff_tree_bomb"
  "diff_big_blob|one 60 MiB blob named 40 times|diff_big_blob"
  "diff_star_pair_12k|200 \`\"Action\": \"*\"\` statements per side, other resources (12 KB)|diff_star_pair_12k"
  "diff_statements_10k|10,000 statements per side, other resources|diff_statements_10k"
  "diff_statements_400k|400,000 statements per side, other resources (36 MB)|diff_statements_400k"
  "diff_long_wildcards|four 30,000-character backtracking wildcards per side|diff_long_wildcards"
)
# The base tree goes where diff puts it by default (memory-backed /dev/shm), in a folder of our
# own: what a run leaves there (a killed run, or one without signal handling) is measured ("left
# behind") and removed. The timeout sends SIGTERM first, then SIGKILL 5 s later.
shm=$(mktemp -d /dev/shm/iamlint-bench.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$shm"' EXIT
echo
echo "| probe | input | time (s) | peak RSS (MB) | exit | left behind (MB) |"
echo "|---|---|---:|---:|---:|---:|"
for p in "${diff_probes[@]}"; do
  IFS='|' read -r name what dir <<<"$p"
  if [[ -n "$ONLY" && ! " $ONLY " =~ " $name " ]]; then continue; fi
  stats=$work/stats.$name
  set +e
  (cd "$work/diff/$dir" && (ulimit -v "$MEM_KB"; TMPDIR=$shm /usr/bin/time -f "%e %M" -o "$stats" \
    timeout -k 5 -s TERM "$TIMEOUT" "$IAMLINT" diff --base HEAD --format json </dev/null) >/dev/null 2>&1)
  set -e
  left=$(( $(du -sk "$shm" | cut -f1) / 1024 ))
  rm -rf "${shm:?}"/*
  read -r secs rss_kb < <(grep -E '^[0-9.]+ [0-9]+$' "$stats" | tail -1 || echo "? 0")
  code=$(grep -oE 'non-zero status [0-9]+' "$stats" | grep -oE '[0-9]+$' || echo 0)
  if [[ "$code" == 124 || "$code" == 137 ]]; then code="killed at ${TIMEOUT} s"; fi
  if grep -q "Command terminated by signal" "$stats"; then code="killed"; fi
  rss_mb=$(( ${rss_kb:-0} / 1024 ))
  echo "| $name | $what | $secs | $rss_mb | $code | $left |"
done
