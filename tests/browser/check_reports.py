#!/usr/bin/env python3
"""Render erosion's HTML reports in headless Chromium and fail on what a reader would see broken.

    python3 tests/browser/check_reports.py --screenshots DIR PAGE.html [PAGE.html ...]

For each page (opened as a file:// URL) it fails when
  * the page logs a console error, throws an uncaught JavaScript exception, or a resource fails to
    load (Runtime, Log and Network events of the DevTools protocol);
  * an <img> did not load (not complete, or naturalWidth == 0);
  * a link or resource to a local file (a[href], img/script/source/iframe[src], link[href]) points at
    a file that does not exist, or a same-page #fragment names no element;
  * the page does not open with a verdict box (an element of class `verdict` before the first <h2>);
  * the page is taller than --max-height css px (when given);
and it saves a full-page PNG screenshot of each page into DIR (named after the page's path).

It drives Chromium through the DevTools protocol over --remote-debugging-pipe with the Python
standard library only: no WebDriver, no pip, nothing but the `chromium` Debian package (CHROMIUM
points at another binary). Exit 0 when every page is clean, 1 when a check failed, 2 when Chromium
cannot be started.
"""

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

WIDTH, HEIGHT = 1280, 900

PAGE_FACTS_JS = r"""
(() => {
  const imgs = Array.from(document.images).map(i => ({
    src: (i.currentSrc || i.src || '').slice(0, 120), complete: i.complete,
    w: i.naturalWidth, h: i.naturalHeight }));
  const refs = [];
  const add = (kind, el, attr) => { const v = el.getAttribute(attr);
    if (v !== null) refs.push({kind, raw: v, url: el[attr] || v}); };
  document.querySelectorAll('a[href]').forEach(e => add('a', e, 'href'));
  document.querySelectorAll('link[href]').forEach(e => add('link', e, 'href'));
  document.querySelectorAll('img[src],script[src],source[src],iframe[src]')
    .forEach(e => add(e.tagName.toLowerCase(), e, 'src'));
  const ids = new Set(Array.from(document.querySelectorAll('[id],[name]'))
    .flatMap(e => [e.id, e.getAttribute('name')]).filter(Boolean));
  const verdict = document.querySelector('.verdict');
  const firstH2 = document.querySelector('h2');
  const verdictOnTop = !!verdict && (!firstH2 ||
    !!(verdict.compareDocumentPosition(firstH2) & Node.DOCUMENT_POSITION_FOLLOWING));
  return { title: document.title, text: document.body ? document.body.innerText.length : 0,
           imgs, refs, ids: Array.from(ids), height: document.documentElement.scrollHeight,
           verdictOnTop };
})()
"""


class Browser:
    """One headless Chromium, spoken to over a pair of pipes (messages end with a NUL byte)."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="erosion-chromium-")
        cmd_r, self.cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        self.res_r, res_w = os.pipe()  # Chromium writes fd 4, we read
        # move the child's ends above 10 so that dup2 onto 3 and 4 cannot clobber them
        hi_r, hi_w = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10), fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(res_w)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                f"--user-data-dir={self.profile}", f"--window-size={WIDTH},{HEIGHT}", "about:blank"]
        self.log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=child_fds,
                                     pass_fds=(3, 4, hi_r, hi_w))
        os.close(hi_r)
        os.close(hi_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.res_r], [], [], left)
            if ready:
                chunk = os.read(self.res_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed its DevTools pipe:\n" + self.output())
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        for m in self.events:
            if m.get("method") == method and m.get("sessionId") == session:
                return m
        while True:
            m = self._read_message(deadline)
            if "method" in m:
                self.events.append(m)
                if m["method"] == method and m.get("sessionId") == session:
                    return m

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.cmd_w, self.res_r):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def console_problems(events, session):
    """The errors a developer console would show, as one line each."""
    out = []
    urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session}
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            out.append(f"JavaScript exception: {text} (line {d.get('lineNumber')})")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {args}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            en = p["entry"]
            out.append(f"console error ({en.get('source')}): {en.get('text')} {en.get('url', '')}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            url = urls.get(p.get("requestId"), "?")[:120]
            out.append(f"failed load: {p.get('errorText')} ({p.get('type')}) {url}")
    return out


def local_path(url):
    u = urllib.parse.urlsplit(url)
    return urllib.request.url2pathname(u.path) if u.scheme == "file" else None


def check_page(browser, path, shots, root, preview=None, label="FAIL", max_height=None):
    url = "file://" + urllib.request.pathname2url(os.path.abspath(path))
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
                 session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    # let late errors (timers, lazy images) arrive
    browser.send("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 500))",
                                      "awaitPromise": True}, session=session)
    facts = browser.send("Runtime.evaluate", {"expression": PAGE_FACTS_JS, "returnByValue": True},
                         session=session)["result"]["value"]

    problems = console_problems(browser.events, session)
    if facts["text"] == 0:
        problems.append("the page shows no text")
    if not facts["verdictOnTop"]:
        problems.append("no verdict box (class `verdict`) before the first heading")
    if max_height and facts["height"] > max_height:
        problems.append(f"the page is {facts['height']} px tall, more than {max_height}")
    for img in facts["imgs"]:
        if not img["complete"] or img["w"] == 0:
            problems.append(f"image did not load: {img['src']}")
    ids = set(facts["ids"])
    here = os.path.abspath(path)
    external = 0
    for ref in facts["refs"]:
        target_url = ref["url"]
        scheme = urllib.parse.urlsplit(target_url).scheme
        if scheme in ("http", "https", "mailto", "data", "javascript"):
            external += scheme in ("http", "https")
            continue
        file = local_path(target_url)
        if file is None:
            problems.append(f"<{ref['kind']}> to an unexpected URL: {ref['raw']}")
            continue
        frag = urllib.parse.urlsplit(target_url).fragment
        if os.path.abspath(file) == here and frag:
            if urllib.parse.unquote(frag) not in ids:
                problems.append(f"<{ref['kind']}> to #{frag}: no element has that id")
        elif not os.path.exists(file):
            problems.append(f"<{ref['kind']}> to a missing local file: {ref['raw']}")

    # full-page screenshot: the whole content, at the page's own width
    metrics = browser.send("Page.getLayoutMetrics", session=session)
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width, height = max(WIDTH, int(size["width"])), int(size["height"])
    shot = browser.send("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True,
                         "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
                        session=session, timeout=120)
    rel = os.path.relpath(os.path.abspath(path), root)
    name = rel.replace(os.sep, "_").rsplit(".", 1)[0] + ".png"
    out = os.path.join(shots, name)
    with open(out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    if preview:
        # the top of the page, downscaled: small enough for a README
        top = browser.send("Page.captureScreenshot",
                           {"format": "png", "captureBeyondViewport": True,
                            "clip": {"x": 0, "y": 0, "width": width,
                                     "height": min(height, preview[0]), "scale": preview[1]}},
                           session=session)
        with open(out[:-4] + "-top.png", "wb") as f:
            f.write(base64.b64decode(top["data"]))
    browser.send("Target.closeTarget", {"targetId": target})

    embedded = sum(i["src"].startswith("data:") for i in facts["imgs"])
    print(f"{path}: \"{facts['title']}\", {len(facts['imgs'])} image(s) ({embedded} embedded), "
          f"{len(facts['refs'])} "
          f"link(s)/resource(s) ({external} external, not followed), {width}x{height} px "
          f"-> {out}")
    for p in problems:
        print(f"  {label} {p}")
    return problems


BROKEN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>broken</title>
<link rel="stylesheet" href="missing.css"></head><body><p>A page with one of each fault.</p>
<img src="missing.png" alt="missing"><img src="data:image/png;base64,AAAA" alt="corrupt">
<a href="nowhere.csv">a missing file</a> <a href="#no-such-id">a missing anchor</a>
<a href="present.txt">a present file</a> <a href="#here" id="here">a present anchor</a>
<script>console.error("logged error"); undefinedFunction();</script></body></html>"""

# what the self-test must find in BROKEN_PAGE, each as a fragment of a problem line
BROKEN_EXPECTED = ["no verdict box", "px tall, more than", "JavaScript exception", "console.error: logged error", "failed load",
                   "image did not load: file://", "image did not load: data:",
                   "missing local file: nowhere.csv", "#no-such-id", "missing local file: missing.css"]


def self_test(browser):
    """The check must fail on a page with every kind of fault, and name each one."""
    with tempfile.TemporaryDirectory(prefix="erosion-broken-") as d:
        page = os.path.join(d, "broken.html")
        with open(page, "w") as f:
            f.write(BROKEN_PAGE)
        open(os.path.join(d, "present.txt"), "w").close()
        problems = check_page(browser, page, d, d, label="planted:", max_height=100)
    missed = [e for e in BROKEN_EXPECTED if not any(e in p for p in problems)]
    wrong = [p for p in problems if "present" in p or "#here" in p]
    if missed or wrong:
        print(f"check_reports: SELF-TEST FAILED: not found {missed}; wrongly flagged {wrong}")
        return False
    print(f"check_reports: self-test ok ({len(problems)} planted faults found, as expected)")
    return True


def find_chromium():
    if os.environ.get("CHROMIUM"):  # asked for this one: no other
        return shutil.which(os.environ["CHROMIUM"])
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--screenshots", required=True, help="directory for the PNG screenshots")
    ap.add_argument("--preview", nargs=2, type=float, metavar=("HEIGHT", "SCALE"),
                    help="also save NAME-top.png: the top HEIGHT css px at SCALE (for docs)")
    ap.add_argument("--max-height", type=int, metavar="PX",
                    help="fail a page taller than PX css px (its full scroll height)")
    ap.add_argument("--self-test", action="store_true",
                    help="first check a page with planted faults, and fail unless all are found")
    ap.add_argument("pages", nargs="+", help="HTML files to render")
    a = ap.parse_args()

    binary = find_chromium()
    if not binary:
        print("check_reports: no Chromium found (install the Debian package `chromium`, or set "
              "CHROMIUM); the browser check cannot run", file=sys.stderr)
        return 2
    missing = [p for p in a.pages if not os.path.isfile(p)]
    if missing:
        print(f"check_reports: no such page: {', '.join(missing)}", file=sys.stderr)
        return 1
    os.makedirs(a.screenshots, exist_ok=True)
    # screenshots are named after each page's path below the parent of the pages' common folder:
    # demo/report.html and demo/audit/report.html give demo_report.png, demo_audit_report.png
    root = os.path.dirname(os.path.commonpath([os.path.dirname(os.path.abspath(p))
                                               for p in a.pages]))
    try:
        browser = Browser(binary)
        version = browser.send("Browser.getVersion", timeout=60)["product"]
    except Exception as e:  # noqa: BLE001 - anything here means no browser to test with
        print(f"check_reports: cannot start {binary}: {e}", file=sys.stderr)
        return 2
    print(f"check_reports: {version} ({binary})")
    failed = 0
    try:
        if a.self_test and not self_test(browser):
            failed += 1
        for page in a.pages:
            failed += bool(check_page(browser, page, a.screenshots, root, a.preview,
                                      max_height=a.max_height))
    finally:
        browser.close()
    if failed:
        print(f"check_reports: {failed} check(s) failed")
        return 1
    print(f"check_reports: {len(a.pages)} page(s) clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
