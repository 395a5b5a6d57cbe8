"""Drives a headless Chromium through the DevTools protocol on the web
dashboard. usage: browser_dashboard.py DEVTOOLS_PORT DASHBOARD_URL"""
import asyncio
import itertools
import json
import sys
import time
import urllib.request

import websockets

devtools_port, url = int(sys.argv[1]), sys.argv[2]
ids = itertools.count(1)


def check(what, cond):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


async def call(ws, method, **params):
    """One DevTools command; its result (events in between are skipped)."""
    n = next(ids)
    await ws.send(json.dumps({"id": n, "method": method, "params": params}))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if reply.get("id") == n:
            if "error" in reply:
                raise SystemExit(f"FAIL: {method}: {reply['error']}")
            return reply["result"]


async def evaluate(ws, expression):
    result = await call(ws, "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in result:
        raise SystemExit(f"FAIL: {expression}: {result['exceptionDetails']}")
    return result["result"].get("value")


async def wait_for(ws, what, expression, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await evaluate(ws, expression)
        if value:
            check(what, True)
            return value
        await asyncio.sleep(0.1)
    check(f"{what} (the page shows: {await evaluate(ws, 'document.body.innerText')!r})", False)


async def main():
    with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=10) as r:
        pages = [t for t in json.load(r) if t["type"] == "page"]
    async with websockets.connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as ws:
        await call(ws, "Page.enable")
        await call(ws, "Page.navigate", url=url)
        await wait_for(ws, "the page loads", "document.getElementById('sse-count') !== null")
        await wait_for(ws, "updates arrive over Server-Sent Events",
                       "Number(document.getElementById('sse-count').textContent) >= 5")
        await wait_for(ws, "updates arrive over the WebSocket",
                       "Number(document.getElementById('ws-count').textContent) >= 5")
        first = await evaluate(ws, "document.querySelector('#sse li').textContent")
        check(f"an update reads as the publisher sent it ({first!r})", first.startswith("updates "))
        await evaluate(ws, "document.getElementById('text').value = 'hello from the browser';"
                           "document.querySelector('#send button').click(); true")
        await wait_for(ws, "the form's text goes through ZeroMQ and its reply comes back",
                       "document.getElementById('reply').textContent === 'echo: hello from the browser'")


asyncio.run(main())
print("ok: the dashboard in Chromium")
