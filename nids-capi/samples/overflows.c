/* overflows: two detectors registered at once, as libnids'
 * samples/overflows.c (written anew for nids-rs against the same API): an
 * IMAP "AUTHENTICATE {n}" literal over 1024 bytes, and an FTP CWD path over
 * 768 bytes. Each keeps an unfinished line with nids_discard, the FTP one
 * keeps per-stream state in its *param, and both call nids_killtcp on a hit
 * (which sends nothing when reading a file). Alerts go to stdout. Usage:
 * overflows [capture-file] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nids.h"

static void alert(struct tcp_stream *t, const char *what)
{
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN];

	s.s_addr = t->addr.saddr;
	d.s_addr = t->addr.daddr;
	strcpy(src, inet_ntoa(s));
	printf("%s:%u -> %s:%u %s\n", src, t->addr.source, inet_ntoa(d), t->addr.dest, what);
}

/* Hands each complete line of the client's bytes to `line`, then keeps the
 * unfinished rest for the next event. */
static void lines(struct tcp_stream *t, void (*line)(struct tcp_stream *, char *, int, void **),
		  void **param)
{
	struct half_stream *h = &t->server;
	int n = h->count - h->offset, start = 0, i;

	for (i = 0; i < n; i++)
		if (h->data[i] == '\n') {
			line(t, h->data + start, i - start, param);
			start = i + 1;
		}
	nids_discard(t, start);
}

static void imap_line(struct tcp_stream *t, char *l, int n, void **param)
{
	char buf[256], *p;

	(void)param;
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, l, n);
	buf[n] = 0;
	p = strstr(buf, "AUTHENTICATE {");
	if (p && atoi(p + 14) > 1024) {
		alert(t, "imap: oversized AUTHENTICATE literal");
		nids_killtcp(t);
	}
}

static void detect_imap(struct tcp_stream *t, void **param)
{
	switch (t->nids_state) {
	case NIDS_JUST_EST:
		if (t->addr.dest == 143) {
			t->server.collect++;
			alert(t, "imap: watching");
		}
		return;
	case NIDS_DATA:
		if (t->server.count_new)
			lines(t, imap_line, param);
		return;
	default:
		alert(t, "imap: done");
	}
}

static void ftp_line(struct tcp_stream *t, char *l, int n, void **param)
{
	int *longest = *param;

	if (n > 4 && !strncmp(l, "CWD ", 4) && n - 4 > *longest) {
		*longest = n - 4;
		if (*longest > 768) {
			alert(t, "ftp: CWD path over 768 bytes");
			nids_killtcp(t);
		}
	}
}

static void detect_ftpd(struct tcp_stream *t, void **param)
{
	switch (t->nids_state) {
	case NIDS_JUST_EST:
		if (t->addr.dest == 21) {
			t->server.collect++;
			*param = calloc(1, sizeof(int));
			alert(t, "ftp: watching");
		}
		return;
	case NIDS_DATA:
		if (t->server.count_new)
			lines(t, ftp_line, param);
		return;
	default: {
		char msg[64];
		snprintf(msg, sizeof msg, "ftp: done, longest CWD %d", *(int *)*param);
		alert(t, msg);
		free(*param);
	}
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
	nids_register_tcp(detect_imap);
	nids_register_tcp(detect_ftpd);
	nids_run();
	return 0;
}
