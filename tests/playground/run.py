#!/usr/bin/env python3
"""The playground in headless Chromium: serves target/playground/ (scripts/build-playground.sh) on
localhost, drives Debian's /usr/bin/chromium over the DevTools protocol (--remote-debugging-pipe:
no npm, no websocket library) and checks what the page shows:

- the README's example, given in the URL fragment as the share link encodes it (deflate-raw,
  base64url), yields the README's findings at their lines, with the `ecr-pull` recipe shown;
- clicking a finding selects its span in the editor and marks its line;
- without a fragment it shows the example and writes a share link that loads the same text;
  the format picker re-lints;
- text from the input reaches the page as text only (a value shaped like HTML makes no element);
- a syntax error is listed with its line.

A screenshot of the first page is kept as target/playground-test/playground.png, and the
page's timings (first result, engine load, first lint) are printed and written to
target/playground-test/timings.json. Exit status 0 when every check passes, 1 otherwise.
"""

import base64
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "target" / "playground"
ARTIFACTS = ROOT / "target" / "playground-test"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]


def fragment(text, compress=True):
    data = text.encode()
    if compress:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = c.compress(data) + c.flush()
    key = "z" if compress else "t"
    return f"#{key}=" + base64.urlsafe_b64encode(data).decode().rstrip("=")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Browser:
    """One Chromium process and one page, spoken to over the DevTools pipe (fds 3 and 4)."""

    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Out of the way of 3 and 4, which the child's dup2 calls below fill.
        keep = [os.dup2(fd, 20 + i) for i, fd in enumerate((to_chrome_r, from_chrome_w))]
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def wire():
            # In the child, after fork: subprocess closes the non-inheritable rest at exec.
            os.dup2(keep[0], 3)
            os.dup2(keep[1], 4)
            os.close(keep[0])
            os.close(keep[1])

        self.profile = tempfile.TemporaryDirectory(prefix="iamlint-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            close_fds=False,
            preexec_fn=wire,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("PLAYGROUND_DEBUG") else subprocess.DEVNULL,
        )
        for fd in keep:
            os.close(fd)
        self.buffer = b""
        self.next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.call("Page.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def call(self, method, params=None, session=False, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer["result"]
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        raise RuntimeError(f"{method}: no answer in {timeout} s")

    def eval(self, expression):
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url, timeout=60):
        """Loads `url` and waits for the page's first result (body[data-state])."""
        self.call("Page.navigate", {"url": "about:blank"}, session=True)
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.eval("document.body ? (document.body.dataset.state || '') : ''")
            if state:
                return state
            time.sleep(0.05)
        raise RuntimeError(f"{url}: no result in {timeout} s")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        self.profile.cleanup()


# What the page shows, read from the DOM.
FINDINGS = """JSON.stringify({
  findings: [...document.querySelectorAll('#findings .finding')].map(li => ({
    line: Number(li.dataset.line), rule: li.dataset.rule,
    message: li.querySelector('.message').textContent,
    fix: (li.querySelector('.fix') || {}).textContent || ''})),
  errors: [...document.querySelectorAll('#errors .input-error')].map(li => ({
    line: Number(li.dataset.line), message: li.querySelector('.message').textContent})),
  text: document.getElementById('input').value,
  summary: document.getElementById('summary').textContent,
  timings: {first_result_ms: Number(document.body.dataset.firstResultMs),
            load_ms: Number(document.body.dataset.loadMs),
            lint_ms: Number(document.body.dataset.lintMs)},
})"""


def main():
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    if not (SITE / "iamlint.wasm").is_file():
        print(f"{SITE}/iamlint.wasm is missing: run scripts/build-playground.sh", file=sys.stderr)
        return 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    example = (ROOT / "examples" / "terraform" / "ec2-ecr.tf").read_text()
    browser = Browser()
    try:
        # 1. The README's example through the share link's encoding.
        state = browser.open(base + fragment(example))
        check(state == "ready", f"the page reports ready (state {state!r})")
        page = json.loads(browser.eval(FINDINGS))
        browser.screenshot(ARTIFACTS / "playground.png")
        check(page["text"] == example, "the editor holds the text from the URL fragment")
        shown = {(f["line"], f["rule"]) for f in page["findings"]}
        for expected in [
            (31, "broad-managed-policy"),
            (37, "unknown-action"),
            (43, "pass-role-any"),
            (44, "resource-star"),
        ]:
            check(expected in shown, f"finding {expected} shown (shown: {sorted(shown)})")
        unknown = [f for f in page["findings"] if f["rule"] == "unknown-action"]
        check(
            bool(unknown) and "`GetObjects` is not an action of `s3`" in unknown[0]["message"],
            "the unknown-action message is the CLI's",
        )
        broad = [f for f in page["findings"] if f["rule"] == "broad-managed-policy"]
        check(
            bool(broad) and "ecr-pull" in broad[0]["fix"] and "ecr:BatchGetImage" in broad[0]["fix"],
            "the minimal policy (the ecr-pull recipe) is shown with its finding",
        )
        check(not page["errors"], "no input error")
        timings = page["timings"]
        # An edit: the page lints again after its debounce; the second lint finds the catalog
        # parsed, as every lint while one types does.
        before = browser.eval("Number(document.body.dataset.lints || 0)")
        browser.eval(
            "(() => { const i = document.getElementById('input');"
            " i.value += '\\n'; i.dispatchEvent(new Event('input')); })()"
        )
        for _ in range(100):
            if browser.eval("Number(document.body.dataset.lints || 0)") > before:
                break
            time.sleep(0.05)
        relint = browser.eval("Number(document.body.dataset.lastLintMs)")
        check(relint == relint and relint > 0, f"an edit lints again ({relint} ms)")
        timings["relint_ms"] = relint
        print(f"      timings: {timings}")
        (ARTIFACTS / "timings.json").write_text(json.dumps(timings) + "\n")

        # 2. A click on a finding selects its span and marks its line.
        selected = json.loads(
            browser.eval(
                """(() => {
  document.querySelector('.finding[data-rule="unknown-action"]').click();
  const input = document.getElementById('input');
  return JSON.stringify({
    text: input.value.slice(input.selectionStart, input.selectionEnd),
    line: (document.querySelector('#gutter .selected') || {}).textContent || ''});
})()"""
            )
        )
        check(
            selected == {"text": '"s3:GetObjects"', "line": "37"},
            f"clicking the finding selects its span on line 37 ({selected})",
        )

        # 3. Without a fragment the page shows the example and writes its own share link, which
        # loads the same text back; the format picker re-lints in the chosen format.
        browser.open(base)
        page = json.loads(browser.eval(FINDINGS))
        check(page["text"] == example, "without a fragment the editor holds the README's example")
        link = ""
        for _ in range(100):
            link = browser.eval("location.hash")
            if link.startswith("#z="):
                break
            time.sleep(0.05)
        check(link.startswith("#z="), f"the page writes a compressed share link ({link[:20]!r})")
        browser.open(base + link)
        check(
            json.loads(browser.eval(FINDINGS))["text"] == example,
            "the page's own share link loads the same text",
        )
        summary = browser.eval(
            """(() => {
  const picker = document.getElementById('format');
  picker.value = 'yaml';
  picker.dispatchEvent(new Event('change'));
  return document.getElementById('summary').textContent;
})()"""
        )
        check("read as yaml" in summary, f"the format picker re-lints as YAML ({summary!r})")

        # 4. Input shaped like HTML stays text.
        hostile = (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": "s3:<img src=x id=injected>", "Resource": "*"}]}'
        )
        browser.open(base + fragment(hostile, compress=False))
        page = json.loads(browser.eval(FINDINGS))
        injected = browser.eval("document.querySelectorAll('#injected, .results-pane img').length")
        check(injected == 0, "a value shaped like HTML makes no element")
        check(
            any("<img src=x id=injected>" in f["message"] for f in page["findings"]),
            "the value is shown as text in its finding",
        )

        # 5. A syntax error is listed at its line.
        browser.open(base + fragment('{"Version": "2012-10-17",\n  "Statement": [\n'))
        page = json.loads(browser.eval(FINDINGS))
        check(
            [e["line"] for e in page["errors"]] == [3],
            f"the syntax error is listed at line 3 ({page['errors']})",
        )
    finally:
        browser.close()
        server.shutdown()
    print(f"screenshot: {ARTIFACTS / 'playground.png'}")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
