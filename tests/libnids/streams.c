/*
 * streams.c - reference harness: run Debian's libnids 1.26 over a pcap file and
 * print one JSON line per TCP stream that libnids reports, when it ends.
 *
 * Usage: streams [--streams N] [--warnings] FILE.pcap
 *
 *   --streams N   nids_params.n_tcp_streams (hash size; default libnids' 1040,
 *                 i.e. 3*N/4+1 = 781 concurrent streams)
 *   --warnings    print libnids' syslog-hook warnings to stderr
 *
 * Settings: scan detection off (scan_num_hosts = 0), checksums verified (default),
 * tcp_workarounds = 0, tcp_flow_timeout left at the 1.26 default (3600 s), every
 * other nids_params field at its default.  Both halves are collected
 * (collect++ at NIDS_JUST_EST), urgent data is not (collect_urg stays 0), and
 * nids_discard is never called, so each NIDS_DATA callback's new bytes are the
 * count_new bytes at the end of the half's buffer.
 *
 * Output (stdout), one line per stream, keys in this order:
 *   {"kind":"tcp","src":..,"sport":..,"dst":..,"dport":..,"end":"close|reset|
 *    timeout|exiting","c2s_bytes":N,"c2s_sha256":"..","s2c_bytes":N,
 *    "s2c_sha256":"..","first_ts":S.UUUUUU,"last_ts":S.UUUUUU}
 * src/sport is the client (the SYN sender, libnids addr.saddr/source).  c2s is
 * libnids' `server` half (server.data holds client->server bytes), s2c is the
 * `client` half.
 *
 * first_ts: pcap time of the client SYN that created the stream (the SYN seen
 *   while no stream existed for that tuple in either orientation; the latest such
 *   SYN before establishment).  Recorded in an nids_register_ip callback, which
 *   libnids runs before its own TCP processing of the same packet.
 * last_ts: nids_last_pcap_header->ts at the end callback; for "exiting" (fired by
 *   nids_exit() at the end of nids_run) it is the timestamp of the last packet of
 *   the file (read with a separate libpcap pass, because nids_last_pcap_header
 *   points at a dead stack header once pcap_loop has returned).
 *
 * Ordering: libnids fires EXITING callbacks in random hash-bucket order, so all
 * lines are buffered and printed at the end sorted by
 *   (first_ts, src as a numeric IPv4 address, sport, dst numeric, dport,
 *    then the order in which the ends were reported).
 *
 * SHA-256 below is a small self-contained implementation (FIPS 180-4) written for
 * this harness.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <nids.h>
#include <pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ SHA-256 */

typedef struct {
    uint32_t h[8];
    uint64_t len;     /* bytes hashed so far */
    uint8_t buf[64];
    size_t fill;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const uint8_t *p)
{
    uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
    e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
    for (i = 0; i < 64; i++) {
        uint32_t S1 = ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t S0 = ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22);
        uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
        t1 = h + S1 + ch + K256[i] + w[i];
        t2 = S0 + maj;
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_init(sha256_ctx *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->fill = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n)
{
    c->len += n;
    while (n > 0) {
        size_t take = 64 - c->fill;
        if (take > n)
            take = n;
        memcpy(c->buf + c->fill, p, take);
        c->fill += take;
        p += take;
        n -= take;
        if (c->fill == 64) {
            sha256_block(c, c->buf);
            c->fill = 0;
        }
    }
}

static void sha256_hex(const sha256_ctx *in, char out[65])
{
    sha256_ctx c = *in;
    uint64_t bits = c.len * 8;
    uint8_t pad = 0x80, zero = 0, lenb[8];
    int i;
    sha256_update(&c, &pad, 1);
    while (c.fill != 56)
        sha256_update(&c, &zero, 1);
    for (i = 0; i < 8; i++)
        lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(&c, lenb, 8);
    for (i = 0; i < 8; i++)
        sprintf(out + 8 * i, "%08x", c.h[i]);
    out[64] = 0;
}

/* --------------------------------------------- SYN timestamps, by 4-tuple */

struct syn_ent {
    struct tuple4 t;
    struct timeval ts;
    struct syn_ent *next;
};

#define SYN_BUCKETS 65536
static struct syn_ent *syn_tab[SYN_BUCKETS];

static unsigned tuple_hash(const struct tuple4 *t)
{
    uint32_t h = t->saddr * 2654435761u;
    h ^= t->daddr * 40503u + (h >> 15);
    h ^= ((uint32_t)t->source << 16 | t->dest) * 2246822519u;
    h ^= h >> 13;
    return h % SYN_BUCKETS;
}

static int tuple_eq(const struct tuple4 *a, const struct tuple4 *b)
{
    return a->saddr == b->saddr && a->daddr == b->daddr &&
           a->source == b->source && a->dest == b->dest;
}

static void syn_put(const struct tuple4 *t, struct timeval ts)
{
    unsigned h = tuple_hash(t);
    struct syn_ent *e;
    for (e = syn_tab[h]; e; e = e->next)
        if (tuple_eq(&e->t, t)) {
            e->ts = ts;
            return;
        }
    e = malloc(sizeof *e);
    if (!e) {
        perror("malloc");
        exit(2);
    }
    e->t = *t;
    e->ts = ts;
    e->next = syn_tab[h];
    syn_tab[h] = e;
}

/* Returns 1 and removes the entry if found. */
static int syn_take(const struct tuple4 *t, struct timeval *ts)
{
    unsigned h = tuple_hash(t);
    struct syn_ent **pp, *e;
    for (pp = &syn_tab[h]; (e = *pp); pp = &e->next)
        if (tuple_eq(&e->t, t)) {
            *ts = e->ts;
            *pp = e->next;
            free(e);
            return 1;
        }
    return 0;
}

/* ip callback: runs before libnids' TCP processing of the same datagram.
 * Headers are copied out because the packet is not 4-byte aligned (Ethernet). */
static void ip_cb(struct ip *iph_unaligned, int len)
{
    struct ip iph;
    struct tcphdr th;
    struct tuple4 t, r;
    struct tcp_stream *s;
    unsigned ihl, iplen;
    (void)len;
    memcpy(&iph, iph_unaligned, sizeof iph);
    ihl = iph.ip_hl * 4u;
    iplen = ntohs(iph.ip_len);
    if (iph.ip_p != IPPROTO_TCP || iplen < ihl + 20)
        return;
    memcpy(&th, (u_char *)iph_unaligned + ihl, sizeof th);
    if (!(th.th_flags & TH_SYN) || (th.th_flags & (TH_ACK | TH_RST)))
        return;
    t.saddr = iph.ip_src.s_addr;
    t.daddr = iph.ip_dst.s_addr;
    t.source = ntohs(th.th_sport);
    t.dest = ntohs(th.th_dport);
    r.saddr = t.daddr;
    r.daddr = t.saddr;
    r.source = t.dest;
    r.dest = t.source;
    if ((s = nids_find_tcp_stream(&t)) != NULL) {
        /* A client SYN on an existing stream only restarts it after
         * tcp_flow_timeout (tcp.c:process_tcp); mirror that condition. */
        if (!(nids_params.tcp_flow_timeout > 0 &&
              s->ts + nids_params.tcp_flow_timeout <
                  nids_last_pcap_header->ts.tv_sec))
            return;
    } else if (nids_find_tcp_stream(&r) != NULL) {
        return; /* would be taken as a server packet */
    }
    syn_put(&t, nids_last_pcap_header->ts);
}

/* ------------------------------------------------------------ per stream */

struct sstate {
    sha256_ctx c2s, s2c;
    unsigned long long c2s_n, s2c_n;
    struct timeval first_ts;
};

struct outline {
    long sec, usec;
    uint32_t src, dst; /* host order, for sorting */
    unsigned sport, dport;
    unsigned long seq;
    char *text;
};

static struct outline *lines;
static size_t n_lines, cap_lines;
static unsigned long end_seq;
static struct timeval file_last_ts;
static int show_warnings;
static unsigned long n_warnings;

static void emit(struct tcp_stream *a, struct sstate *st, const char *end)
{
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], h1[65], h2[65];
    struct in_addr ia;
    struct timeval last;
    struct outline *o;
    char buf[512];

    if (a->nids_state == NIDS_EXITING)
        last = file_last_ts;
    else
        last = nids_last_pcap_header->ts;
    ia.s_addr = a->addr.saddr;
    inet_ntop(AF_INET, &ia, src, sizeof src);
    ia.s_addr = a->addr.daddr;
    inet_ntop(AF_INET, &ia, dst, sizeof dst);
    sha256_hex(&st->c2s, h1);
    sha256_hex(&st->s2c, h2);
    snprintf(buf, sizeof buf,
             "{\"kind\":\"tcp\",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\","
             "\"dport\":%u,\"end\":\"%s\",\"c2s_bytes\":%llu,\"c2s_sha256\":\"%s\","
             "\"s2c_bytes\":%llu,\"s2c_sha256\":\"%s\",\"first_ts\":%ld.%06ld,"
             "\"last_ts\":%ld.%06ld}",
             src, a->addr.source, dst, a->addr.dest, end, st->c2s_n, h1,
             st->s2c_n, h2, (long)st->first_ts.tv_sec,
             (long)st->first_ts.tv_usec, (long)last.tv_sec, (long)last.tv_usec);
    if (n_lines == cap_lines) {
        cap_lines = cap_lines ? 2 * cap_lines : 256;
        lines = realloc(lines, cap_lines * sizeof *lines);
        if (!lines) {
            perror("realloc");
            exit(2);
        }
    }
    o = &lines[n_lines++];
    o->sec = st->first_ts.tv_sec;
    o->usec = st->first_ts.tv_usec;
    o->src = ntohl(a->addr.saddr);
    o->dst = ntohl(a->addr.daddr);
    o->sport = a->addr.source;
    o->dport = a->addr.dest;
    o->seq = end_seq++;
    o->text = strdup(buf);
}

static void tcp_cb(struct tcp_stream *a, void **param)
{
    struct sstate *st = *param;
    const char *end = NULL;

    switch (a->nids_state) {
    case NIDS_JUST_EST:
        st = calloc(1, sizeof *st);
        if (!st) {
            perror("calloc");
            exit(2);
        }
        sha256_init(&st->c2s);
        sha256_init(&st->s2c);
        if (!syn_take(&a->addr, &st->first_ts)) {
            /* should not happen; fall back to establishment time */
            fprintf(stderr, "streams: no SYN time recorded for a stream\n");
            st->first_ts = nids_last_pcap_header->ts;
        }
        a->client.collect++;
        a->server.collect++;
        *param = st;
        return;
    case NIDS_DATA:
        if (a->server.count_new > 0) {
            struct half_stream *h = &a->server;
            const u_char *p =
                (u_char *)h->data + (h->count - h->offset - h->count_new);
            sha256_update(&st->c2s, p, h->count_new);
            st->c2s_n += h->count_new;
        }
        if (a->client.count_new > 0) {
            struct half_stream *h = &a->client;
            const u_char *p =
                (u_char *)h->data + (h->count - h->offset - h->count_new);
            sha256_update(&st->s2c, p, h->count_new);
            st->s2c_n += h->count_new;
        }
        return;
    case NIDS_CLOSE:
        end = "close";
        break;
    case NIDS_RESET:
        end = "reset";
        break;
    case NIDS_TIMED_OUT:
        end = "timeout";
        break;
    case NIDS_EXITING:
        end = "exiting";
        break;
    default:
        fprintf(stderr, "streams: unexpected nids_state %d\n", a->nids_state);
        return;
    }
    if (!st)
        return;
    emit(a, st, end);
    free(st);
    *param = NULL;
}

static void warn_cb(int type, int err, struct ip *iph, void *data)
{
    (void)data;
    n_warnings++;
    if (!show_warnings)
        return;
    if (iph) {
        char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
        struct ip h;
        memcpy(&h, iph, sizeof h);
        inet_ntop(AF_INET, &h.ip_src, s, sizeof s);
        inet_ntop(AF_INET, &h.ip_dst, d, sizeof d);
        fprintf(stderr, "libnids warning type=%d err=%d %s -> %s\n", type, err,
                s, d);
    } else
        fprintf(stderr, "libnids warning type=%d err=%d\n", type, err);
}

static int cmp_lines(const void *x, const void *y)
{
    const struct outline *a = x, *b = y;
#define CMP(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
    CMP(sec);
    CMP(usec);
    CMP(src);
    CMP(sport);
    CMP(dst);
    CMP(dport);
    CMP(seq);
#undef CMP
    return 0;
}

/* Timestamp of the last packet of the file (any link-layer frame). */
static int scan_last_ts(const char *fn)
{
    char eb[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *d;
    int r;
    pcap_t *p = pcap_open_offline(fn, eb);
    if (!p) {
        fprintf(stderr, "streams: %s\n", eb);
        return 0;
    }
    while ((r = pcap_next_ex(p, &h, &d)) == 1)
        file_last_ts = h->ts;
    pcap_close(p);
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: streams [--streams N] [--warnings] FILE.pcap\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *fn = NULL;
    int i;
    size_t k;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--streams") && i + 1 < argc) {
            char *e;
            long n = strtol(argv[++i], &e, 10);
            if (*e || n < 1 || n > 10000000)
                usage();
            nids_params.n_tcp_streams = (int)n;
        } else if (!strcmp(argv[i], "--warnings"))
            show_warnings = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            usage();
        else if (!fn)
            fn = argv[i];
        else
            usage();
    }
    if (!fn)
        usage();
    if (!scan_last_ts(fn))
        return 1;

    nids_params.filename = (char *)fn;
    nids_params.scan_num_hosts = 0;
    nids_params.tcp_workarounds = 0;
    nids_params.syslog = warn_cb;
    if (!nids_init()) {
        fprintf(stderr, "streams: nids_init: %s\n", nids_errbuf);
        return 1;
    }
    nids_register_ip(ip_cb);
    nids_register_tcp(tcp_cb);
    nids_run(); /* pcap_loop to EOF, then nids_exit() -> EXITING callbacks */

    qsort(lines, n_lines, sizeof *lines, cmp_lines);
    for (k = 0; k < n_lines; k++)
        puts(lines[k].text);
    if (show_warnings)
        fprintf(stderr, "libnids warnings: %lu\n", n_warnings);
    return 0;
}
