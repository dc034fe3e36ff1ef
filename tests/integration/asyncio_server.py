"""A python3 asyncio server for test_server_asyncio.py (run as a container's init): an epoll
event loop, a call_later timer every 50 ms that sends a byte through a unix socketpair, a
reader on the other end counting them, and a TCP server on 127.0.0.1:PORT that answers each
connection with "<ticks> <relayed>"."""
import asyncio
import socket
import sys


async def main(result, port):
    loop = asyncio.get_running_loop()
    counts = {"ticks": 0, "relayed": 0}
    sender, receiver = socket.socketpair()
    sender.setblocking(False)
    receiver.setblocking(False)

    def tick():
        counts["ticks"] += 1
        sender.send(b"t")
        loop.call_later(0.05, tick)

    def relay():
        counts["relayed"] += len(receiver.recv(4096))

    async def answer(reader, writer):
        await reader.readline()
        writer.write(f"{counts['ticks']} {counts['relayed']}\n".encode())
        await writer.drain()
        writer.close()

    loop.add_reader(receiver.fileno(), relay)
    loop.call_later(0.05, tick)
    await asyncio.start_server(answer, "127.0.0.1", port)
    with open(result, "a") as out:
        out.write("ready\n")
    await asyncio.Event().wait()


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
