/*
 * nids.h: the libnids 1.26 API, served by nids-rs (crate nids-capi).
 *
 * Source- and binary-compatible with libnids 1.26 (Debian: libnids-dev,
 * libnids.so.1.21): the same structures, field for field, the same constants
 * and the same functions and globals. Programs built against libnids' header
 * run on this library unchanged, and programs built against this header run
 * on libnids.
 *
 * Differences in behaviour are listed in the nids-rs README ("libnids
 * drop-in"); the nids-rs extension (IPv6) is at the end of this file.
 */
#ifndef _NIDS_NIDS_H
#define _NIDS_NIDS_H

#include <sys/types.h>
#include <netinet/in_systm.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pcap.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NIDS_MAJOR 1
#define NIDS_MINOR 26

/* The `type` argument of the syslog hook. */
enum {
  NIDS_WARN_IP = 1,
  NIDS_WARN_TCP,
  NIDS_WARN_UDP,
  NIDS_WARN_SCAN
};

/* The `errnum` argument of the syslog hook (an index into nids_warnings). */
enum {
  NIDS_WARN_UNDEFINED = 0,
  NIDS_WARN_IP_OVERSIZED,
  NIDS_WARN_IP_INVLIST,
  NIDS_WARN_IP_OVERLAP,
  NIDS_WARN_IP_HDR,
  NIDS_WARN_IP_SRR,
  NIDS_WARN_TCP_TOOMUCH,
  NIDS_WARN_TCP_HDR,
  NIDS_WARN_TCP_BIGQUEUE,
  NIDS_WARN_TCP_BADFLAGS
};

/* tcp_stream.nids_state */
#define NIDS_JUST_EST   1 /* handshake seen: set collect/collect_urg here */
#define NIDS_DATA       2 /* new bytes (count_new) or an urgent byte */
#define NIDS_CLOSE      3 /* both sides closed */
#define NIDS_RESET      4 /* a RST ended it */
#define NIDS_TIMED_OUT  5 /* evicted or timed out */
#define NIDS_EXITING    6 /* the library is exiting: last look at kept data */

/* nids_chksum_ctl.action */
#define NIDS_DO_CHKSUM   0
#define NIDS_DONT_CHKSUM 1

/* A flow: ports in host order, addresses in network order. For TCP,
   saddr:source is the client. */
struct tuple4 {
  u_short source;
  u_short dest;
  u_int saddr;
  u_int daddr;
};

/* One direction of a stream, named after its receiver: `client` holds what
   the client receives. */
struct half_stream {
  char state;
  char collect;         /* > 0: buffer this half's bytes */
  char collect_urg;     /* > 0: report its urgent bytes */

  char *data;           /* count - offset bytes not yet discarded */
  int offset;
  int count;
  int count_new;        /* the last count_new bytes of data are new */
  int bufsize;
  int rmem_alloc;

  int urg_count;
  u_int acked;
  u_int seq;
  u_int ack_seq;
  u_int first_data_seq;
  u_char urgdata;
  u_char count_new_urg;
  u_char urg_seen;
  u_int urg_ptr;
  u_short window;
  u_char ts_on;
  u_char wscale_on;
  u_int curr_ts;
  u_int wscale;
  struct skbuff *list;
  struct skbuff *listtail;
};

struct tcp_stream {
  struct tuple4 addr;
  char nids_state;
  struct lurker_node *listeners;
  struct half_stream client;
  struct half_stream server;
  struct tcp_stream *next_node;
  struct tcp_stream *prev_node;
  int hash_index;
  struct tcp_stream *next_time;
  struct tcp_stream *prev_time;
  int read;
  struct tcp_stream *next_free;
  void *user;
  long ts;
};

/* Settings, read by nids_init(). */
struct nids_prm {
  int n_tcp_streams;
  int n_hosts;
  char *device;
  char *filename;
  int sk_buff_size;
  int dev_addon;
  void (*syslog) ();
  int syslog_level;
  int scan_num_hosts;
  int scan_delay;
  int scan_num_ports;
  void (*no_mem) (char *);
  int (*ip_filter) ();
  char *pcap_filter;
  int promisc;
  int one_loop_less;
  int pcap_timeout;
  int multiproc;
  int queue_limit;
  int tcp_workarounds;
  pcap_t *pcap_desc;
  int tcp_flow_timeout;
};

struct tcp_timeout {
  struct tcp_stream *a_tcp;
  struct timeval timeout;
  struct tcp_timeout *next;
  struct tcp_timeout *prev;
};

int nids_init (void);

void nids_register_ip_frag (void (*));
void nids_unregister_ip_frag (void (*));
void nids_register_ip (void (*));
void nids_unregister_ip (void (*));
void nids_register_tcp (void (*));
void nids_unregister_tcp (void (*x));
void nids_register_udp (void (*));
void nids_unregister_udp (void (*));

void nids_killtcp (struct tcp_stream *);
void nids_discard (struct tcp_stream *, int);

int nids_run (void);
void nids_exit (void);
int nids_getfd (void);
int nids_dispatch (int);
int nids_next (void);
void nids_pcap_handler (u_char *, struct pcap_pkthdr *, u_char *);

struct tcp_stream *nids_find_tcp_stream (struct tuple4 *);
void nids_free_tcp_stream (struct tcp_stream *);

extern struct nids_prm nids_params;
extern char *nids_warnings[];
extern char nids_errbuf[];
extern struct pcap_pkthdr *nids_last_pcap_header;
extern u_char *nids_last_pcap_data;
extern u_int nids_linkoffset;
extern struct tcp_timeout *nids_tcp_timeouts;

struct nids_chksum_ctl {
  u_int netaddr;
  u_int mask;
  u_int action;
  u_int reserved;
};
extern void nids_register_chksum_ctl (struct nids_chksum_ctl *, int);

/*
 * nids-rs extension: IPv6. Not in libnids; test NIDS_RS_IPV6 before use.
 *
 * nids_rs_enable_ipv6(1) before nids_init(): IPv6 packets reach the ip_frag
 * and ip callbacks, and IPv6 streams the tcp callbacks, with saddr and daddr
 * 0 in their struct tuple4. nids_rs_stream_addr6() copies a stream's client
 * and server addresses (16 bytes each; IPv4 as ::ffff:a.b.c.d) and returns 6
 * or 4 (its IP version), or 0 if the pointer is not a live stream. Programs
 * that do not opt in see IPv4 only, as with libnids.
 */
#define NIDS_RS_IPV6 1
void nids_rs_enable_ipv6 (int on);
int nids_rs_stream_addr6 (struct tcp_stream *, u_char client[16], u_char server[16]);

/*
 * nids-rs extension: Community ID (version 1), the flow key Zeek, Suricata
 * and Arkime log. Not in libnids; test NIDS_RS_COMMUNITY_ID before use.
 *
 * nids_rs_community_id() writes "1:" and 28 base64 characters, NUL-terminated,
 * into out (outlen at least 31) and returns 30, or -1 for a bad family or
 * buffer. family is AF_INET (saddr, daddr: 4 bytes, as struct tuple4's) or
 * AF_INET6 (16 bytes); ports in host order (as struct tuple4's); for ICMP
 * and ICMPv6, sport is the type and dport the code. Both directions of a
 * flow give the same ID.
 */
#define NIDS_RS_COMMUNITY_ID 1
int nids_rs_community_id (int family, const u_char *saddr, const u_char *daddr,
                          u_char proto, u_short sport, u_short dport, u_short seed,
                          char *out, size_t outlen);

/*
 * nids-rs extension: the bound on kept bytes. Test NIDS_RS_MAX_KEPT.
 *
 * A half keeps at most this many bytes with nids_discard() (default 64 MiB,
 * the same bound as the Python module's param("max_kept")). Beyond it the
 * oldest kept bytes are dropped, counted as read (offset moves on), and a
 * warning goes to stderr once. libnids has no bound. Returns the previous
 * bound; 0 restores the default.
 */
#define NIDS_RS_MAX_KEPT 1
size_t nids_rs_set_max_kept (size_t max);

/*
 * nids-rs extension: tunnels. Test NIDS_RS_TUNNELS.
 *
 * nids_rs_enable_tunnels(1) before nids_init(): GRE, ERSPAN, VXLAN, Geneve,
 * GTP-U, IP-in-IP, Teredo and MPLS are decapsulated and the streams inside
 * reach the callbacks. Off by default, as libnids decodes no tunnel: a
 * struct tuple4 cannot name one, so one capture could show several streams
 * with the same tuple.
 */
#define NIDS_RS_TUNNELS 1
void nids_rs_enable_tunnels (int on);

#ifdef __cplusplus
}
#endif

#endif /* _NIDS_NIDS_H */
