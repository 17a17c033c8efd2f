#!/usr/bin/env python3
"""Scripted TCP dialogues for the libnids drop-in captures (see README.md).

    dialogue.py server NAME PORT      # in the server namespace
    dialogue.py client NAME HOST PORT # in the client namespace

Each dialogue is a list of (side, bytes): the server sends its lines and reads
exactly the client's, and the client the reverse, over real kernel TCP. The
client closes first; the server closes when it reads end of stream.
"""
import base64
import socket
import sys
import time

CRLF = b"\r\n"


def lines(*ls):
    return b"".join(l.encode() + CRLF for l in ls)


BASIC = base64.b64encode(b"alice:wonderland").decode()
BODY = "<html><body>hello from nids-rs</body></html>"

DIALOGUES = {
    # HTTP: two requests on one connection (urlsnarf), the second with Basic
    # authentication (dsniff).
    "http": [
        ("C", lines("GET /index.html HTTP/1.1", "Host: www.example.test",
                    "User-Agent: capi-test/1.0", "Referer: http://ref.example.test/start",
                    "")),
        ("S", lines("HTTP/1.1 200 OK", "Content-Type: text/html",
                    f"Content-Length: {len(BODY)}", "") + BODY.encode()),
        ("C", lines("GET /private/report.txt?year=2026 HTTP/1.1", "Host: www.example.test",
                    "User-Agent: capi-test/1.0", f"Authorization: Basic {BASIC}", "")),
        ("S", lines("HTTP/1.1 200 OK", "Content-Length: 2", "") + b"ok"),
    ],
    "http2": [
        ("C", lines("POST /form HTTP/1.0", "Host: shop.example.test",
                    "User-Agent: capi-test/2.0", "Content-Length: 9", "") + b"item=book"),
        ("S", lines("HTTP/1.0 204 No Content", "")),
    ],
    # SMTP with AUTH LOGIN (dsniff) and one message (mailsnarf).
    "smtp": [
        ("S", lines("220 mail.example.test ESMTP")),
        ("C", lines("EHLO client.example.test")),
        ("S", lines("250-mail.example.test", "250 AUTH LOGIN PLAIN")),
        ("C", lines("AUTH LOGIN")),
        ("S", lines("334 VXNlcm5hbWU6")),
        ("C", lines(base64.b64encode(b"bob").decode())),
        ("S", lines("334 UGFzc3dvcmQ6")),
        ("C", lines(base64.b64encode(b"hunter2").decode())),
        ("S", lines("235 ok")),
        ("C", lines("MAIL FROM:<bob@example.test>")),
        ("S", lines("250 ok")),
        ("C", lines("RCPT TO:<carol@example.test>")),
        ("S", lines("250 ok")),
        ("C", lines("DATA")),
        ("S", lines("354 go ahead")),
        ("C", b"From: Bob <bob@exa"),
        ("C", lines("mple.test>", "To: Carol <carol@example.test>",
                    "Subject: quarterly numbers", "Date: Mon, 30 Nov 2026 10:00:00 +0000",
                    "", "Carol,", "the numbers are in.", "..dotted line", "-- Bob", ".")),
        ("S", lines("250 queued")),
        ("C", lines("QUIT")),
        ("S", lines("221 bye")),
    ],
    # POP3: USER/PASS (dsniff) and one message retrieved (mailsnarf).
    "pop3": [
        ("S", lines("+OK POP3 ready")),
        ("C", lines("USER carol")),
        ("S", lines("+OK")),
        ("C", lines("PASS s3cret")),
        ("S", lines("+OK 1 message")),
        ("C", lines("RETR 1")),
        ("S", lines("+OK 120 octets", "From: Dave <dave@example.test>",
                    "To: Carol <carol@example.test>", "Subject: lunch",
                    "Date: Mon, 30 Nov 2026 11:00:00 +0000", "", "Noon at the usual place?",
                    ".")),
        ("C", lines("QUIT")),
        ("S", lines("+OK bye")),
    ],
    # IRC: a password (dsniff), channel and private messages (msgsnarf).
    "irc": [
        ("C", lines("PASS ircpass", "NICK erin", "USER erin 0 * :Erin")),
        ("S", lines(":irc.example.test 001 erin :Welcome")),
        ("C", lines("JOIN #nids")),
        ("S", lines(":erin!erin@client JOIN #nids")),
        # One line in two segments: readers keep the first part (nids_discard).
        ("C", b"PRIVMSG #nids :hello "),
        ("C", lines("channel")),
        ("S", lines(":frank!frank@host PRIVMSG #nids :hi erin")),
        ("C", lines("PRIVMSG frank :meet at noon")),
        ("S", lines(":frank!frank@host PRIVMSG erin :ok")),
        ("C", lines("QUIT :bye")),
    ],
    # FTP: login (dsniff, sniff) and a deep CWD (overflows' FTP detector).
    "ftp": [
        ("S", lines("220 ftp ready")),
        ("C", lines("USER anonymous")),
        ("S", lines("331 password please")),
        ("C", lines("PASS guest@example.test")),
        ("S", lines("230 logged in")),
        ("C", lines("CWD " + "/".join(["d" * 60] * 14))),
        ("S", lines("250 ok")),
        ("C", lines("QUIT")),
        ("S", lines("221 bye")),
    ],
    # A connection a monitor resets (live test of nids_killtcp): the server
    # never answers the client's line.
    "victim": [
        ("C", lines("kill me")),
        ("P", b"3"),
        ("S", lines("never sent")),
    ],
    # Telnet: a login (sniff) with an urgent byte ("U": sent out of band, not
    # read by the server).
    "telnet": [
        ("S", b"login: "),
        ("C", lines("root")),
        ("U", b"!"),
        ("S", b"Password: "),
        ("C", lines("toor")),
        ("S", b"$ "),
        ("C", lines("exit")),
    ],
    # IMAP: LOGIN (dsniff, sniff) and an oversized AUTHENTICATE literal
    # (overflows' IMAP detector).
    "imap": [
        ("S", lines("* OK IMAP4 ready")),
        ("C", lines("a001 LOGIN grace imappass")),
        ("S", lines("a001 OK")),
        ("C", lines("a002 AUTHENTICATE {2048}")),
        ("S", lines("a002 NO")),
        ("C", lines("a003 LOGOUT")),
        ("S", lines("* BYE", "a003 OK")),
    ],
}


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise SystemExit("peer closed early")
        got += chunk
    return got


def play(s, dialogue, me):
    for side, data in dialogue:
        if side == me:
            s.sendall(data)
        elif side == "P":
            time.sleep(float(data))
        elif side == "U":
            if me == "C":
                s.send(data, socket.MSG_OOB)
        else:
            recv_exact(s, len(data))
        time.sleep(0.02)  # one segment per message, in a fixed order


def server(name, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    try:
        play(c, DIALOGUES[name], "S")
        while c.recv(4096):
            pass
    except ConnectionResetError:
        print("connection reset", flush=True)
    c.close()


def client(name, host, port):
    s = socket.create_connection((host, port))
    try:
        play(s, DIALOGUES[name], "C")
    except ConnectionResetError:
        print("connection reset", flush=True)
        sys.exit(3)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]))
