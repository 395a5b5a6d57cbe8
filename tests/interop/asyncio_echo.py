"""asyncio streams against zring's TCP streams, both ways.

    asyncio_echo.py server            echoes every connection; prints "listening on HOST:PORT"
    asyncio_echo.py client HOST:PORT CONNECTIONS MAX_SIZE SEED
                                      that many connections at once, each a random
                                      size from 0 to MAX_SIZE, echoed and checked byte for byte
"""
import asyncio
import random
import sys


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def serve():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


async def one(address, size, rng_seed):
    payload = random.Random(rng_seed).randbytes(size)
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))

    async def send():
        for at in range(0, len(payload), 100_000):
            writer.write(payload[at:at + 100_000])
            await writer.drain()
        writer.write_eof()

    sender = asyncio.create_task(send())
    got = bytearray()
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        got += chunk
    await sender
    writer.close()
    if bytes(got) != payload:
        raise AssertionError(f"connection with seed {rng_seed}: sent {size} bytes, got {len(got)} back, differing")
    return size


async def drive(address, connections, max_size, seed):
    rng = random.Random(seed)
    sizes = [rng.randint(0, max_size) for _ in range(connections)]
    sizes[0], sizes[-1] = 0, max_size  # the edges, always
    done = await asyncio.wait_for(
        asyncio.gather(*(one(address, size, seed * 100_000 + i) for i, size in enumerate(sizes))), 120)
    print(f"ok: {len(done)} connections, {sum(done)} bytes echoed", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(serve())
    else:
        asyncio.run(drive(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
