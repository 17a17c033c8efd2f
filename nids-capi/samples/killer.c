/* killer: resets every TCP connection to a port, from a live capture, with
 * nids_killtcp (as dsniff's tcpkill does with its own code). Prints each
 * stream it kills. Usage: killer DEVICE PORT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nids.h"

static int port;

static void on_tcp(struct tcp_stream *t, void **unused)
{
	(void)unused;
	if (t->addr.dest != port)
		return;
	if (t->nids_state == NIDS_JUST_EST) {
		t->server.collect++;
	} else if (t->nids_state == NIDS_DATA) {
		printf("killing %u -> %u after %d bytes\n", t->addr.source, t->addr.dest,
		       t->server.count);
		fflush(stdout);
		nids_killtcp(t);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	nids_params.device = argv[1];
	nids_params.pcap_timeout = 100;
	port = atoi(argv[2]);
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_tcp(on_tcp);
	nids_run();
	return 0;
}
