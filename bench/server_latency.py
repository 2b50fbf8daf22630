#!/usr/bin/env python3
"""Diagnostics latency of `iamlint server` on a large Terraform file (issue #29).

Generates one `.tf` file of N `aws_iam_policy` resources (jsonencode policies, one in ten with
`Action = "*"`) in a temporary repository, starts `iamlint server` there and drives it over stdio
with Content-Length framing, as an editor does. Measures, in wall time from the notification
written to the `publishDiagnostics` read:

- didOpen -> publishDiagnostics (no debounce);
- didChange (one edit, whole text sent) -> publishDiagnostics of that version (includes the
  server's 150 ms debounce: what a user waits after the last keystroke).

    python3 bench/server_latency.py --iamlint target/release/iamlint --resources 2000 --runs 10

Prints a markdown table row per size.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time


def resource(i):
    action = '"*"' if i % 10 == 0 else '["s3:GetObject", "s3:PutObject"]'
    return f'''resource "aws_iam_policy" "p{i}" {{
  name = "p{i}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid      = "S{i}"
      Effect   = "Allow"
      Action   = {action}
      Resource = "arn:aws:s3:::bucket-{i}/*"
    }}]
  }})
}}
'''


class Server:
    def __init__(self, binary, cwd):
        self.p = subprocess.Popen([binary, "server"], cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.id = 0

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError("server closed stdout")
            if line in (b"\r\n", b"\n"):
                break
            key, _, value = line.decode().partition(":")
            if key.lower() == "content-length":
                length = int(value)
        return json.loads(self.p.stdout.read(length))

    def request(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            msg = self.recv()
            if msg.get("id") == self.id:
                return msg

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri, version):
        while True:
            msg = self.recv()
            p = msg.get("params") or {}
            if (msg.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri
                    and p.get("version") == version):
                return p["diagnostics"]


def measure(binary, resources, runs):
    with tempfile.TemporaryDirectory() as repo:
        os.mkdir(os.path.join(repo, ".git"))
        path = os.path.join(repo, "main.tf")
        text = "".join(resource(i) for i in range(resources))
        with open(path, "w") as f:
            f.write(text)
        uri = "file://" + os.path.realpath(path)
        server = Server(binary, repo)
        server.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        server.notify("initialized", {})
        opened, changed, found = [], [], 0
        version = 0
        for _ in range(runs):
            version += 1
            start = time.perf_counter()
            server.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "terraform", "version": version, "text": text}})
            found = len(server.diagnostics(uri, version))
            opened.append(time.perf_counter() - start)
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        version += 1
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "terraform", "version": version, "text": text}})
        server.diagnostics(uri, version)
        for i in range(runs):
            version += 1
            edited = text.replace('name = "p1"', f'name = "p1-{i}"', 1)
            start = time.perf_counter()
            server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": edited}]})
            server.diagnostics(uri, version)
            changed.append(time.perf_counter() - start)
        server.request("shutdown", None)
        server.notify("exit", None)
        code = server.p.wait(timeout=30)
        return len(text), found, opened, changed, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iamlint", default="target/release/iamlint")
    ap.add_argument("--resources", type=int, nargs="+", default=[200, 2000, 10000])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    binary = os.path.realpath(args.iamlint)
    print("| resources | file size | diagnostics | didOpen → diagnostics, median (min-max) "
          "| didChange → diagnostics, median (min-max) | exit code |")
    print("|---|---|---|---|---|---|")
    for n in args.resources:
        size, found, opened, changed, code = measure(binary, n, args.runs)

        def fmt(xs):
            ms = [x * 1000 for x in xs]
            return f"{statistics.median(ms):.0f} ms ({min(ms):.0f}-{max(ms):.0f})"

        print(f"| {n:,} | {size / 1e6:.2f} MB | {found:,} | {fmt(opened)} | {fmt(changed)} "
              f"| {code} |")


if __name__ == "__main__":
    main()
