/*
 * libnids_stats.c - the libnids side of the benchmark: what `nids stats FILE`
 * does, with Debian's libnids 1.26.
 *
 *   libnids_stats [--streams N] FILE.pcap
 *
 * Collects both halves of every TCP stream (collect++ on each at NIDS_JUST_EST),
 * counts the new bytes of every NIDS_DATA callback and the streams that end
 * (close, reset, timeout, exiting), and prints the counts and the throughput.
 * Nothing is printed per stream or per packet.  Settings are libnids' defaults
 * (checksums verified, scan detection on, tcp_flow_timeout 3600 s), as are
 * nids stats'; libnids' warnings go to a hook that only counts them (the
 * default hook calls syslog(3)).
 *
 *   --streams N   nids_params.n_tcp_streams (hash size; default 1040, which
 *                 allows 3*N/4+1 = 781 streams at once)
 *
 * Build: gcc -O2 -o libnids_stats libnids_stats.c -lnids -lpcap
 *        (apt-get install -y --no-install-recommends libnids-dev libpcap-dev)
 */
#include <nids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static unsigned long long c2s_bytes, s2c_bytes, established, ended, warnings;

static void tcp_cb(struct tcp_stream *a, void **param)
{
    (void)param;
    switch (a->nids_state) {
    case NIDS_JUST_EST:
        a->client.collect++;
        a->server.collect++;
        established++;
        return;
    case NIDS_DATA:
        /* server.data holds client->server bytes, client.data the others */
        c2s_bytes += (unsigned)a->server.count_new;
        s2c_bytes += (unsigned)a->client.count_new;
        return;
    default: /* NIDS_CLOSE, NIDS_RESET, NIDS_TIMED_OUT, NIDS_EXITING */
        ended++;
        return;
    }
}

static void warn_cb(int type, int err, struct ip *iph, void *data)
{
    (void)type;
    (void)err;
    (void)iph;
    (void)data;
    warnings++;
}

int main(int argc, char **argv)
{
    struct timeval t0, t1;
    double secs;
    int i;
    const char *file = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc)
            nids_params.n_tcp_streams = atoi(argv[++i]);
        else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "usage: libnids_stats [--streams N] FILE.pcap\n");
            return 2;
        } else
            file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "usage: libnids_stats [--streams N] FILE.pcap\n");
        return 2;
    }
    gettimeofday(&t0, NULL);
    nids_params.filename = (char *)file;
    nids_params.syslog = warn_cb;
    if (!nids_init()) {
        fprintf(stderr, "libnids_stats: %s\n", nids_errbuf);
        return 2;
    }
    nids_register_tcp((void *)tcp_cb);
    nids_run();
    gettimeofday(&t1, NULL);
    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
    printf("tcp streams       %llu established, %llu reported\n", established, ended);
    printf("tcp bytes         %llu (c2s %llu, s2c %llu)\n", c2s_bytes + s2c_bytes,
           c2s_bytes, s2c_bytes);
    printf("warnings          %llu\n", warnings);
    printf("time              %.3f s\n", secs);
    return 0;
}
