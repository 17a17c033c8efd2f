#!/usr/bin/env python3
# The callback shapes of pynids' README ("Callback Arguments"), as a program:
# one plain function per kind, registered after init(), run over a capture.
#
#   python3 readme_callbacks.py capture.pcap
#
# Prints one line per callback with the shape of what it received.

import sys
import nids

def ip_callback(pkt):
    print("ip", type(pkt).__name__, len(pkt))

def frag_callback(pkt):
    print("frag", type(pkt).__name__, len(pkt))

def udp_callback(addrs, payload, pkt):
    ((sip, sport), (dip, dport)) = addrs
    print("udp", sip, sport, dip, dport, len(payload), len(pkt))

def tcp_callback(tcpStreamObj):
    clientHlf = tcpStreamObj.client
    serverHlf = tcpStreamObj.server
    ((src, sport), (dst, dport)) = tcpStreamObj.addr
    if tcpStreamObj.nids_state == nids.NIDS_JUST_EST:
        clientHlf.collect = 1
        serverHlf.collect = 1
    print("tcp", src, sport, dst, dport, tcpStreamObj.nids_state,
          clientHlf.count_new, serverHlf.count_new)

def main():
    nids.param("filename", sys.argv[1])
    nids.init()
    nids.register_ip_frag(frag_callback)
    nids.register_ip(ip_callback)
    nids.register_udp(udp_callback)
    nids.register_tcp(tcp_callback)
    nids.run()

if __name__ == '__main__':
    main()
