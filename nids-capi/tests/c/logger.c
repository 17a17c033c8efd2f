/* logger: a stream logger as many libnids programs write it. Each stream
 * gets a malloc'd record through the callback's *param; every byte of both
 * halves is kept with nids_discard(t, 0) until the stream ends, when the
 * buffers are terminated at count - offset, printed as a summary and the
 * record freed. Driven by nids_next() and ended with nids_exit(), with
 * nids_find_tcp_stream() checked on every stream.
 *
 *   logger capture.pcap */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nids.h"

struct record {
	char name[64];
	int events;
};

static unsigned sum(const char *p, int n)
{
	unsigned h = 2166136261u;
	for (int i = 0; i < n; i++)
		h = (h ^ (u_char)p[i]) * 16777619u;
	return h;
}

static void half(const char *what, struct half_stream *h)
{
	int held = h->count - h->offset;

	if (held > 0)
		h->data[held] = 0; /* the buffer has room past the data */
	printf(" %s count %d offset %d held %d sum %08x", what, h->count, h->offset, held,
	       held > 0 ? sum(h->data, held) : 0);
}

static void on_tcp(struct tcp_stream *t, void **param)
{
	struct record *r = *param;
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN];

	switch (t->nids_state) {
	case NIDS_JUST_EST:
		r = calloc(1, sizeof *r);
		s.s_addr = t->addr.saddr;
		d.s_addr = t->addr.daddr;
		inet_ntop(AF_INET, &s, src, sizeof src);
		snprintf(r->name, sizeof r->name, "%s:%u-%s:%u", src, t->addr.source,
			 inet_ntoa(d), t->addr.dest);
		*param = r;
		t->client.collect++;
		t->server.collect++;
		if (nids_find_tcp_stream(&t->addr) != t)
			printf("%s: nids_find_tcp_stream misses it\n", r->name);
		return;
	case NIDS_DATA:
		r->events++;
		nids_discard(t, 0);
		return;
	default:
		printf("%s end %d after %d data events:", r->name, t->nids_state, r->events);
		half("c2s", &t->server);
		half("s2c", &t->client);
		printf("\n");
		free(r);
		*param = NULL;
	}
}

int main(int argc, char **argv)
{
	int packets = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: logger capture.pcap\n");
		return 2;
	}
	nids_params.filename = argv[1];
	nids_params.scan_num_hosts = 0;
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_tcp(on_tcp);
	while (nids_next())
		packets++;
	nids_exit();
	printf("%d packets\n", packets);
	return 0;
}
