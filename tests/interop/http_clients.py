"""zring's HTTP server against Python's http.client, and raw sockets for
what http.client will not send. usage: http_clients.py PORT"""
import http.client
import socket
import sys
import time

port = int(sys.argv[1])


def connection():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def check(what, cond):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def raw(data, read_all=True):
    """Sends bytes on a fresh connection; returns what comes back until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
            if not read_all:
                break
        return b"".join(chunks)


# Keep-alive: many requests on one connection.
c = connection()
for i in range(50):
    c.request("GET", "/hello")
    r = c.getresponse()
    check_body = r.read()
    if r.status != 200 or check_body != b"hello\n":
        raise SystemExit(f"FAIL: request {i} on one connection: {r.status} {check_body!r}")
check("50 requests on one keep-alive connection", True)

# A 1 MiB body, Content-Length and chunked.
body = bytes(range(256)) * 4096
c.request("POST", "/echo", body=body)
r = c.getresponse()
check("a 1 MiB body echoes", r.status == 200 and r.read() == body)
c.request("POST", "/echo", body=iter([body[:1000], body[1000:]]), encode_chunked=True,
          headers={"Transfer-Encoding": "chunked"})
r = c.getresponse()
check("a chunked 1 MiB body echoes", r.status == 200 and r.read() == body)

# Streamed response, read by http.client's chunked decoder.
c.request("GET", "/stream?n=100")
r = c.getresponse()
check("a streamed response of 100 chunks", r.read() == b"".join(b"chunk %d\n" % i for i in range(100)))

# 404 and 405.
c.request("GET", "/nothing")
r = c.getresponse()
r.read()
check("404 for an unrouted path", r.status == 404)
c.request("DELETE", "/hello")
r = c.getresponse()
r.read()
check("405 with Allow", r.status == 405 and r.getheader("Allow") == "GET, HEAD")
c.close()

# Bad input.
big_head = b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + b"x" * 70000 + b"\r\n\r\n"
check("431 for a 70 KB head", raw(big_head).startswith(b"HTTP/1.1 431 "))
check("400 for garbage", raw(b"\x00\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400 "))
check("400 for smuggling (Content-Length and Transfer-Encoding)",
      raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
      .startswith(b"HTTP/1.1 400 "))
check("400 for two Content-Lengths",
      raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
      .startswith(b"HTTP/1.1 400 "))
check("413 for a declared body over the limit",
      raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n").startswith(b"HTTP/1.1 413 "))
pipelined = raw(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n" * 3 + b"GET /items/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
check("4 pipelined requests answered in order", pipelined.count(b"hello\n") == 3 and pipelined.endswith(b"\r\n\r\nx"))

# The server still serves after all that.
c = connection()
c.request("GET", "/hello")
check("still serving", c.getresponse().read() == b"hello\n")
print("ok: http.client and raw sockets")
