#!/usr/bin/env python3
"""A user-space Ethernet bridge between two interfaces that holds back some TCP
data frames (used by make-reorder.sh, run inside the router namespace).

    relay.py IF_A IF_B EVERY DELAY_MS

Frames from IF_B to IF_A that carry TCP payload are counted; every EVERY-th of
them is held back DELAY_MS milliseconds while later frames pass. Everything else
(and every frame from IF_A to IF_B) is forwarded at once. Deterministic: the
same traffic gives the same choice of frames.
"""
import heapq
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def tcp_payload_len(f):
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] != 6:
        return 0
    ihl = (f[14] & 0x0F) * 4
    total = int.from_bytes(f[16:18], "big")
    doff = (f[14 + ihl + 12] >> 4) * 4
    return total - ihl - doff


def main():
    if_a, if_b, every, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) / 1000
    socks = []
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # room for a whole burst: the relay must not be the one dropping frames
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
        s.bind((name, 0))
        socks.append(s)
    sa, sb = socks
    held = []  # (release time, order, frame)
    data_frames = 0
    order = 0
    print("relay ready", flush=True)
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
        ready, _, _ = select.select([sa, sb], [], [], timeout)
        for s in ready:
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            if s is sa:
                sb.send(frame)
                continue
            if tcp_payload_len(frame) > 0:
                data_frames += 1
                if data_frames % every == 0:
                    order += 1
                    heapq.heappush(held, (time.monotonic() + delay, order, frame))
                    continue
            sa.send(frame)
        now = time.monotonic()
        while held and held[0][0] <= now:
            sa.send(heapq.heappop(held)[2])


if __name__ == "__main__":
    main()
