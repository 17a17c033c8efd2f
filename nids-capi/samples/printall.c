/* printall: every TCP stream's bytes, as libnids' samples/printall.c prints
 * them (written anew for nids-rs against the same API). Usage: printall
 * [capture-file]; without a file it sniffs the default device.
 * Data goes to stderr as "saddr,sport,daddr,dport(->)bytes" (client to server)
 * or "(<-)" (server to client); urgent bytes to the server to stdout. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "nids.h"

static const char *endpoints(struct tuple4 a)
{
	static char buf[128];
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN];

	s.s_addr = a.saddr;
	d.s_addr = a.daddr;
	strcpy(src, inet_ntoa(s));
	snprintf(buf, sizeof buf, "%s,%i,%s,%i", src, a.source, inet_ntoa(d), a.dest);
	return buf;
}

static void on_tcp(struct tcp_stream *t, void **unused)
{
	char line[256];
	struct half_stream *h;

	(void)unused;
	snprintf(line, sizeof line, "%s", endpoints(t->addr));
	switch (t->nids_state) {
	case NIDS_JUST_EST:
		t->client.collect++;
		t->server.collect++;
		t->server.collect_urg++;
		fprintf(stderr, "%s established\n", line);
		return;
	case NIDS_CLOSE:
		fprintf(stderr, "%s closing\n", line);
		return;
	case NIDS_RESET:
		fprintf(stderr, "%s reset\n", line);
		return;
	case NIDS_DATA:
		if (t->server.count_new_urg) {
			size_t n = strlen(line);
			snprintf(line + n, sizeof line - n, "(urgent->)%c", t->server.urgdata);
			if (write(1, line, strlen(line)) < 0)
				return;
			return;
		}
		if (t->client.count_new) {
			h = &t->client;
			strcat(line, "(<-)");
		} else {
			h = &t->server;
			strcat(line, "(->)");
		}
		fprintf(stderr, "%s", line);
		fflush(stderr);
		if (write(2, h->data, h->count_new) < 0)
			return;
		return;
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
