/* sniff: the first 100 bytes each client sends to a login service (ftp,
 * telnet, pop3, imap, rlogin), as libnids' samples/sniff.c logs them (written
 * anew for nids-rs against the same API; it prints to stdout instead of
 * ./logfile). Shows nids_discard keeping bytes until enough have arrived and
 * collect-- ending the interest. Usage: sniff [capture-file] */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "nids.h"

static void show(struct tcp_stream *t, const char *what, const char *buf, int n)
{
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN];
	int i;

	s.s_addr = t->addr.saddr;
	d.s_addr = t->addr.daddr;
	strcpy(src, inet_ntoa(s));
	printf("%s:%u -> %s:%u %s %d bytes: ", src, t->addr.source, inet_ntoa(d),
	       t->addr.dest, what, n);
	for (i = 0; i < n; i++)
		putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
	putchar('\n');
}

static int watched(u_short port)
{
	return port == 21 || port == 23 || port == 110 || port == 143 || port == 513;
}

static void on_tcp(struct tcp_stream *t, void **unused)
{
	struct half_stream *h = &t->server;
	int have = h->count - h->offset;

	(void)unused;
	switch (t->nids_state) {
	case NIDS_JUST_EST:
		if (watched(t->addr.dest))
			h->collect++;
		return;
	case NIDS_DATA:
		if (!h->count_new)
			return;
		if (have < 100) {
			nids_discard(t, 0); /* keep everything until 100 bytes */
			return;
		}
		show(t, "first", h->data, 100);
		h->collect--; /* enough: no more data, no end event */
		return;
	default:
		show(t, "end with", h->data, have);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nids_params.filename = argv[1];
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_tcp(on_tcp);
	nids_run();
	return 0;
}
