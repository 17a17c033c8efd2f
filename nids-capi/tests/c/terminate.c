/* terminate: the C idiom `h->data[h->count_new] = 0` (and, keeping bytes
 * with nids_discard, `h->data[h->count - h->offset] = 0`), which libnids'
 * buffer contract allows: its buffer always has room past the bytes it holds
 * (bufsize starts at 4096 and doubles). Run under valgrind, a write past the
 * buffer is an error. It prints one line per data callback, so a segment
 * split into several callbacks shows too.
 *
 *   terminate new|keep capture.pcap
 *
 * new:  the new bytes only (nothing kept), terminated at count_new.
 * keep: nids_discard(t, 0) until 6000 bytes are held, terminated at
 *       count - offset. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "nids.h"

static int keep;

static unsigned sum(const u_char *p, int n)
{
	unsigned h = 2166136261u;
	for (int i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void on_tcp(struct tcp_stream *t, void **unused)
{
	struct half_stream *h;
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	int held;

	(void)unused;
	s.s_addr = t->addr.saddr;
	d.s_addr = t->addr.daddr;
	inet_ntop(AF_INET, &s, src, sizeof src);
	inet_ntop(AF_INET, &d, dst, sizeof dst);
	if (t->nids_state == NIDS_JUST_EST) {
		t->client.collect++;
		t->server.collect++;
		return;
	}
	if (t->nids_state != NIDS_DATA) {
		printf("%s:%d-%s:%d end %d\n", src, t->addr.source, dst, t->addr.dest,
		       t->nids_state);
		return;
	}
	h = t->client.count_new ? &t->client : &t->server;
	held = h->count - h->offset;
	if (keep) {
		h->data[held] = 0;
		if (held < 6000)
			nids_discard(t, 0);
	} else {
		h->data[h->count_new] = 0;
	}
	printf("%s:%d-%s:%d %c new %d held %d sum %08x strlen %zu\n", src,
	       t->addr.source, dst, t->addr.dest, h == &t->client ? 'C' : 'S',
	       h->count_new, held, sum((u_char *)h->data, held),
	       strlen(h->data + held - h->count_new));
}

int main(int argc, char **argv)
{
	struct nids_chksum_ctl all = { 0, 0, NIDS_DONT_CHKSUM, 0 };

	if (argc != 3 || (strcmp(argv[1], "new") && strcmp(argv[1], "keep"))) {
		fprintf(stderr, "usage: terminate new|keep capture.pcap\n");
		return 2;
	}
	keep = !strcmp(argv[1], "keep");
	nids_params.filename = argv[2];
	nids_params.scan_num_hosts = 0;
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_chksum_ctl(&all, 1);
	nids_register_tcp(on_tcp);
	nids_run();
	return 0;
}
