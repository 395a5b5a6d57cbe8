"""The native ZMTP engine against pyzmq (Debian's python3-zmq, over libzmq):
every compatible pair of socket types, the native side binding and
connecting in turn, over tcp and ipc. Sizes 0, 1, 255, 256 and 1 MiB, a
100-frame message and a burst each way; the pyzmq peer restarted
mid-stream; heartbeats both ways. Exits 1 naming the first failure.

usage: zmtp_pyzmq.py ZMTP_PEER BURST
"""
import faulthandler
import os
import select
import subprocess
import sys
import threading
import time

import zmq

peer_bin = sys.argv[1]
burst = int(sys.argv[2])
ctx = zmq.Context()
counter = 0
TIMEOUT_MS = 10000
# Should a wait hang past every bound below, the stacks show where, before
# the caller's timeout (480 s) kills the script silently.
faulthandler.dump_traceback_later(470, exit=True)


def endpoint(transport):
    """What to bind: tcp on a port the kernel picks, or a fresh abstract ipc name."""
    global counter
    counter += 1
    if transport == "ipc":
        return "ipc://@zring-pyzmq-%d-%d" % (os.getpid(), counter)
    return "tcp://127.0.0.1:*"


def bound(s, ep):
    s.bind(ep)
    return s.getsockopt_string(zmq.LAST_ENDPOINT)


class peer:
    """A zmtp-peer process; ready once it printed so."""

    def __init__(self, *args, heartbeat_ms=None, routing_id=None, hwm=None):
        env = dict(os.environ)
        if hwm is not None:
            env["ZMTP_PEER_HWM"] = str(hwm)
        if heartbeat_ms:
            env["ZMTP_PEER_HEARTBEAT_MS"] = str(heartbeat_ms)
        if routing_id:
            env["ZMTP_PEER_ID"] = routing_id
        self.args = args
        self.proc = subprocess.Popen([peer_bin, *args], stdout=subprocess.PIPE, env=env, text=True)
        readable, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline().split() if readable else []
        if not line or line[0] != "ready":
            raise SystemExit("FAIL: zmtp-peer %s did not start (%r, exit %s)" % (args, line, self.proc.poll()))
        self.endpoints = line[1:]  # each socket's, as bound

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=20)
        if rc != 0:
            raise SystemExit("FAIL: zmtp-peer %s exited %d" % (self.args, rc))

    def finish(self):
        rc = self.proc.wait(timeout=60)
        if rc != 0:
            raise SystemExit("FAIL: zmtp-peer %s exited %d" % (self.args, rc))


started = time.monotonic()


def begin(what):
    """Names the case about to run, so that a failure or a hang shows where it was."""
    print("%6.1f s  %s" % (time.monotonic() - started, what), flush=True)


def sock(kind, heartbeat_ms=None):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 1000)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    if heartbeat_ms:
        s.setsockopt(zmq.HEARTBEAT_IVL, heartbeat_ms)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 50 * heartbeat_ms)  # PINGs flow; load costs no connection
    return s


def cases():
    for size in (0, 1, 255, 256, 1 << 20):
        yield [bytes([97 + size % 26]) * size]
    yield [b"frame %d" % i for i in range(100)]


class sending:
    """Sends b"i" for each i of numbers on s from a thread while the caller
    receives: the whole burst in flight at once, held back only by the
    high-water marks (more than every queue on the way holds together)."""

    def __init__(self, s, numbers):
        self.error = None
        self.thread = threading.Thread(target=self.run, args=(s, numbers), daemon=True)
        self.thread.start()

    def run(self, s, numbers):
        try:
            for i in numbers:
                s.send(b"%d" % i)
        except Exception as e:  # reported by join, or by a receive that starves
            self.error = e

    def join(self, what):
        self.thread.join(TIMEOUT_MS / 1000 + 5)
        if self.thread.is_alive() or self.error:
            raise SystemExit("FAIL: %s: the sender: %s" % (what, self.error or "still sending"))


def receive_burst(what, receiver, numbers, sender):
    """Receives b"i" for each i of numbers, in order, while sender sends them."""
    for i in numbers:
        try:
            got = receiver.recv()
        except zmq.Again:
            raise SystemExit("FAIL: %s: message %d not received in %d ms (the sender: %s)" %
                             (what, i, TIMEOUT_MS, sender.error or "no error"))
        check(what, got, b"%d" % i)
    sender.join(what)


def check(what, got, want):
    if got != want:
        raise SystemExit("FAIL: %s: got %r..., wanted %r..." % (what, got[:3], want[:3]))


def drive_echo(s, what, envelope=None):
    """Sends each case to an echo and checks what comes back, then a pipelined burst."""
    for c in cases():
        s.send_multipart((envelope or []) + c)
        check(what, s.recv_multipart(), (envelope or []) + c)
    if s.type == zmq.REQ:
        for i in range(burst // 10):
            s.send(b"%d" % i)
            check(what + " burst", s.recv(), b"%d" % i)
        return
    # A window of 100 in flight, below every high-water mark (a ROUTER drops at its own).
    for first in range(0, burst, 100):
        last = min(burst, first + 100)
        for i in range(first, last):
            s.send_multipart((envelope or []) + [b"%d" % i])
        for i in range(first, last):
            check(what + " burst", s.recv_multipart(), (envelope or []) + [b"%d" % i])


ran = 0
for transport in ("tcp", "ipc"):
    for native_binds in (True, False):
        mode = "bind" if native_binds else "connect"
        where = "native %ss over %s" % (mode, transport)

        # The native side echoes: REP to REQ, ROUTER to DEALER, DEALER to ROUTER, PAIR to PAIR.
        for native_type, py_type in (("REP", zmq.REQ), ("ROUTER", zmq.DEALER), ("DEALER", zmq.ROUTER),
                                     ("PAIR", zmq.PAIR)):
            ep = endpoint(transport)
            s = sock(py_type)
            if native_binds:
                p = peer("echo", native_type, "bind", ep, routing_id="native-dealer")
                s.connect(p.endpoints[0])
            else:
                p = peer("echo", native_type, "connect", bound(s, ep), routing_id="native-dealer")
            what = "%s echo, %s" % (native_type, where)
            begin(what)
            envelope = None
            if py_type == zmq.ROUTER:
                # The native DEALER has a routing id (ZMTP_PEER_ID): send to
                # it once it is connected, which ROUTER_MANDATORY tells.
                envelope = [b"native-dealer"]
                s.setsockopt(zmq.ROUTER_MANDATORY, 1)
                for _ in range(1000):
                    try:
                        s.send_multipart(envelope + [b"hello"])
                        break
                    except zmq.ZMQError as e:
                        if e.errno != zmq.EHOSTUNREACH:
                            raise
                        time.sleep(0.01)
                check(what + " hello", s.recv_multipart(), envelope + [b"hello"])
            drive_echo(s, what, envelope)
            p.stop()
            s.close(0)
            ran += 1

        # The native side asks: REQ of a REP, DEALER of a ROUTER-as-echo... (ROUTER echo is pyzmq's),
        # DEALER of a DEALER, PAIR of a PAIR.
        for native_type, py_type in (("REQ", zmq.REP), ("DEALER", zmq.ROUTER), ("DEALER", zmq.DEALER),
                                     ("PAIR", zmq.PAIR)):
            ep = endpoint(transport)
            s = sock(py_type)
            if not native_binds:
                ep = bound(s, ep)
            p = peer("ask", native_type, mode, ep, str(burst))
            if native_binds:
                s.connect(p.endpoints[0])
            what = "%s asks, %s" % (native_type, where)
            begin(what)
            s.setsockopt(zmq.RCVTIMEO, 500)
            deadline = time.time() + 60
            while p.proc.poll() is None:
                if time.time() > deadline:
                    p.proc.kill()
                    raise SystemExit("FAIL: %s: zmtp-peer still asking after 60 s" % what)
                try:
                    m = s.recv_multipart()
                except zmq.Again:
                    continue
                s.send_multipart(m)
            p.finish()
            s.close(0)
            ran += 1

        # PUSH to PULL and PUB to SUB through a native forwarder (its PULL or SUB
        # receives from pyzmq, its PUSH or PUB sends to pyzmq), and PUB to SUB
        # through a native XSUB/XPUB proxy (the subscriptions go back through
        # it), with the pyzmq sender restarted mid-stream, and heartbeats on
        # the second round.
        for (in_type, out_type, py_out, py_in) in (("PULL", "PUSH", zmq.PUSH, zmq.PULL),
                                                    ("SUB", "PUB", zmq.PUB, zmq.SUB),
                                                    ("XSUB", "XPUB", zmq.PUB, zmq.SUB)):
            for heartbeat in (None, 50):
                ep_in, ep_out = endpoint(transport), endpoint(transport)
                sender, receiver = sock(py_out, heartbeat), sock(py_in, heartbeat)
                hwm = None
                if py_in == zmq.SUB:
                    # PUB drops at its high-water mark: none here, on either side,
                    # so that the burst must arrive whole.
                    hwm = 0
                    for s in (sender, receiver):
                        s.setsockopt(zmq.SNDHWM, 0)
                        s.setsockopt(zmq.RCVHWM, 0)
                    receiver.setsockopt(zmq.SUBSCRIBE, b"")
                if native_binds:
                    p = peer("forward", in_type, "bind", ep_in, out_type, "bind", ep_out, heartbeat_ms=heartbeat,
                             hwm=hwm)
                    ep_in, ep_out = p.endpoints
                    sender.connect(ep_in)
                    receiver.connect(ep_out)
                else:
                    ep_in, ep_out = bound(sender, ep_in), bound(receiver, ep_out)
                    p = peer("forward", in_type, "connect", ep_in, out_type, "connect", ep_out,
                             heartbeat_ms=heartbeat, hwm=hwm)
                what = "pyzmq %s to %s through native %s/%s, %s%s" % (
                    zmq.SocketType(py_out).name, zmq.SocketType(py_in).name, in_type, out_type, where,
                    ", heartbeats" if heartbeat else "")
                begin(what)
                if py_in == zmq.SUB:
                    # Subscriptions travel both hops: publish a probe until it arrives.
                    receiver.setsockopt(zmq.RCVTIMEO, 20)
                    for _ in range(500):
                        sender.send(b"probe")
                        try:
                            if receiver.recv() == b"probe":
                                break
                        except zmq.Again:
                            pass
                    else:
                        raise SystemExit("FAIL: %s: the subscription never arrived" % what)
                    receiver.setsockopt(zmq.RCVTIMEO, 200)
                    while True:  # drain the probes
                        try:
                            receiver.recv()
                        except zmq.Again:
                            break
                    receiver.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
                for c in cases():
                    sender.send_multipart(c)
                    check(what, receiver.recv_multipart(), c)
                half = burst // 2
                receive_burst(what + " burst", receiver, range(half), sending(sender, range(half)))
                if py_out == zmq.PUSH:
                    # The sender restarts: a new socket, a new connection, the rest of the stream.
                    sender.close()
                    sender = sock(py_out, heartbeat)
                    if native_binds:
                        sender.connect(ep_in)
                    else:
                        # libzmq frees the port on its own thread, a little later.
                        for _ in range(200):
                            try:
                                sender.bind(ep_in)
                                break
                            except zmq.ZMQError as e:
                                if e.errno != zmq.EADDRINUSE:
                                    raise
                                time.sleep(0.01)
                    receive_burst(what + " after the restart", receiver, range(half, burst),
                                  sending(sender, range(half, burst)))
                p.stop()
                sender.close(0)
                receiver.close(0)
                ran += 1

print("zmtp_pyzmq: %d cases passed in %.1f s" % (ran, time.monotonic() - started))
