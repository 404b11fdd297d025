#!/usr/bin/env python3
"""Slow clients against a running server: N connections each announce a 16 MiB prediction body and send one byte a
second. Prints what each connection was answered within the given seconds. Watch the server's RSS and threads
meanwhile (see BENCHMARKS.md, "Slow clients").

Usage: benchmarks/slow-clients.py PORT [CONNECTIONS=200] [SECONDS=20]
"""
import socket, sys, time, select
port = int(sys.argv[1]); n = int(sys.argv[2]) if len(sys.argv) > 2 else 200; secs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 16777216\r\n\r\n")
    s.setblocking(False)
    socks.append(s)
answers = {}
t0 = time.time()
while time.time() - t0 < secs:
    for i, s in enumerate(socks):
        if i in answers: continue
        try: s.send(b"x")
        except OSError: answers[i] = "closed"; continue
        try:
            d = s.recv(200)
            if d: answers[i] = d.split(b"\r\n")[0].decode()
        except BlockingIOError: pass
        except OSError: answers[i] = "reset"
    time.sleep(1)
from collections import Counter
print("after %d s:" % secs, Counter(answers.values()), "still open:", n - len(answers))
