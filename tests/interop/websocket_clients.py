"""zring's WebSocket server against Python's websockets. Ends by sending
the server SIGTERM.
usage: websocket_clients.py PORT SERVER_PID"""
import asyncio
import http.client
import os
import signal
import sys

import websockets

port, server_pid = int(sys.argv[1]), int(sys.argv[2])
uri = f"ws://127.0.0.1:{port}"


def check(what, cond):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def rss_kib():
    with open(f"/proc/{server_pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("FAIL: no VmRSS for the server")


async def within(aw, seconds=10):
    return await asyncio.wait_for(aw, seconds)


async def main():
    async with websockets.connect(uri + "/ws", max_size=None, ping_interval=None) as ws:
        await ws.send("héllo")
        check("text echoes", await within(ws.recv()) == "héllo")
        await ws.send(b"\x00\x01\xff")
        check("binary echoes", await within(ws.recv()) == b"\x00\x01\xff")
        await ws.send(iter(["frag", "men", "ted"]))
        check("a fragmented message arrives whole", await within(ws.recv()) == "fragmented")
        big_text = "x" * (1 << 20)
        await ws.send(big_text)
        check("a 1 MiB text message echoes", await within(ws.recv()) == big_text)
        big_binary = bytes(range(256)) * 4096
        await ws.send(big_binary)
        check("a 1 MiB binary message echoes", await within(ws.recv()) == big_binary)
        pong = await ws.ping(b"are you there")
        await within(pong)
        check("a ping is answered", True)
        await ws.close(4000, "client bye")
        check("the client's close code is answered", ws.close_code == 4000)

    async with websockets.connect(uri + "/ws", ping_interval=None) as ws:
        await ws.send("close 4001 server bye")
        try:
            await within(ws.recv())
            check("the server closes", False)
        except websockets.ConnectionClosed as closed:
            check("the server's close code and reason arrive", (closed.rcvd.code, closed.rcvd.reason) == (4001, "server bye"))

    # A client that stops reading: the server's sends block, its write
    # timeout (1 s here) ends the handler, and its memory stays bounded.
    before = rss_kib()
    ws = await websockets.connect(uri + "/flood", ping_interval=None, max_queue=1, read_limit=1 << 16,
                                  max_size=None)
    ended = False
    for _ in range(100):
        await asyncio.sleep(0.1)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/stats")
        ended = c.getresponse().read() == b"flood_ended 1\n"
        c.close()
        if ended:
            break
    growth = rss_kib() - before
    check("the write timeout ends a handler whose client stopped reading", ended)
    check(f"the server's memory grew {growth} KiB, not without bound", growth < 64 * 1024)
    ws.transport.abort()

    # Last: the server's graceful shutdown (SIGTERM) closes an open
    # WebSocket with 1001, going away.
    async with websockets.connect(uri + "/ws", ping_interval=None) as ws:
        await ws.send("still here")
        check("an echo before the shutdown", await within(ws.recv()) == "still here")
        os.kill(server_pid, signal.SIGTERM)
        try:
            await within(ws.recv())
            check("the shutdown closes the WebSocket", False)
        except websockets.ConnectionClosed as closed:
            check(f"the shutdown closes the WebSocket with 1001 ({closed!r})", closed.rcvd is not None and closed.rcvd.code == 1001)


asyncio.run(main())
print("ok: websockets")
