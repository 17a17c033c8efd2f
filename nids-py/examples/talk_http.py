#!/usr/bin/env python3
# The HTTP example of the talk "Sniffing network traffic in Python" (Jose
# Nazario), slides 13 and 14, ported to Python 3: only the print syntax changed.
#
#   python3 talk_http.py capture.pcap
#
# The slides show the program in fragments. Filled in from pynids' own Example,
# which they abridge: `end_states`, the unpacking of `tcp.addr` into `dport`,
# and reading the capture named on the command line (the slides sniff live).
# Collects the streams to ports 80, 8000 and 8080, keeps all their bytes
# (discard(0) on every data event) and dumps both halves when they end.

import sys
import nids

end_states = (nids.NIDS_CLOSE, nids.NIDS_TIMEOUT, nids.NIDS_RESET)

def handleTcpStream(tcp):
    if tcp.nids_state == nids.NIDS_JUST_EST:
        ((src, sport), (dst, dport)) = tcp.addr
        if dport in (80, 8000, 8080):
            tcp.client.collect = 1
            tcp.server.collect = 1
    elif tcp.nids_state == nids.NIDS_DATA:
        tcp.discard(0)
    elif tcp.nids_state in end_states:
        print("addr", tcp.addr)
        # may be binary
        print("To server", tcp.server.data[:tcp.server.count])
        print("To client", tcp.client.data[:tcp.client.count])

def main():
    nids.param("scan_num_hosts", 0)
    if len(sys.argv) == 2:
        nids.param("filename", sys.argv[1])
    if not nids.init():
        print("error -", nids.errbuf())
        sys.exit(1)
    nids.register_tcp(handleTcpStream)
    try:
        nids.run() # loop forever
    except KeyboardInterrupt:
        sys.exit(1)

if __name__ == '__main__':
    main()
