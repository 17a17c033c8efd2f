/* probe: walks the whole libnids API over a capture file and prints what a
 * program sees: every callback kind, two TCP listeners with different
 * interests (one keeps unfinished lines with nids_discard, one follows the
 * server's bytes and urgent data), count/offset/count_new, the end events,
 * nids_find_tcp_stream, nids_last_pcap_header, and the nids_next /
 * nids_dispatch / nids_getfd loops. Used to compare nids-rs with libnids.
 *
 * Usage: probe run|next|dispatch|oneloop FILE (oneloop: nids_run with
 * one_loop_less set and the line reader alone)
 * Lines about a stream start with its tuple and '|' so that outputs can be
 * compared stream by stream (libnids reports the streams left at exit in a
 * random order). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include "nids.h"

static long frag_packets, frag_bytes, ip_packets, ip_bytes, udp_datagrams;

static const char *key(struct tuple4 a)
{
	static char buf[128];
	struct in_addr s, d;
	char src[INET_ADDRSTRLEN];

	s.s_addr = a.saddr;
	d.s_addr = a.daddr;
	strcpy(src, inet_ntoa(s));
	snprintf(buf, sizeof buf, "%s:%u-%s:%u", src, a.source, inet_ntoa(d), a.dest);
	return buf;
}

static unsigned sum(const char *p, int n)
{
	unsigned h = 2166136261u;
	int i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static const char *state_name(int s)
{
	static const char *names[] = {"?", "est", "data", "close", "reset", "timeout", "exit"};
	return s >= 1 && s <= 6 ? names[s] : "?";
}

static void on_ip_frag(struct ip *ip, int len)
{
	(void)ip;
	frag_packets++;
	frag_bytes += len;
}

static void on_ip(struct ip *ip, int len)
{
	(void)len; /* libnids passes an internal size here, not the length */
	ip_packets++;
	ip_bytes += ntohs(ip->ip_len);
}

static void on_udp(struct tuple4 *a, char *data, int len, struct ip *ip)
{
	udp_datagrams++;
	printf("%s|udp len %d sum %08x ttl %d\n", key(*a), len, sum(data, len), ip->ip_ttl);
}

/* Listener A: the client's bytes, by lines; unfinished lines are kept. */
static void lines(struct tcp_stream *t, void **param)
{
	struct half_stream *h = &t->server;
	int n, i, last = 0;

	switch (t->nids_state) {
	case NIDS_JUST_EST:
		h->collect++;
		*param = t;
		printf("%s|A est found %d ts %ld\n", key(t->addr),
		       nids_find_tcp_stream(&t->addr) == t, (long)nids_last_pcap_header->ts.tv_sec);
		return;
	case NIDS_DATA:
		if (!h->count_new) {
			printf("%s|A unexpected call\n", key(t->addr));
			return;
		}
		n = h->count - h->offset;
		for (i = 0; i < n; i++)
			if (h->data[i] == '\n')
				last = i + 1;
		printf("%s|A data count %d offset %d new %d lines %08x keep %d\n", key(t->addr),
		       h->count, h->offset, h->count_new, sum(h->data, last), n - last);
		nids_discard(t, last);
		return;
	default:
		printf("%s|A %s count %d offset %d kept %08x param %d\n", key(t->addr),
		       state_name(t->nids_state), h->count, h->offset,
		       sum(h->data, h->count - h->offset), *param == t);
	}
}

/* Listener B: the server's bytes and urgent bytes both ways. */
static void replies(struct tcp_stream *t, void **param)
{
	struct half_stream *h = &t->client;

	(void)param;
	switch (t->nids_state) {
	case NIDS_JUST_EST:
		h->collect++;
		t->client.collect_urg++;
		t->server.collect_urg++;
		printf("%s|B est\n", key(t->addr));
		return;
	case NIDS_DATA:
		if (t->client.count_new_urg || t->server.count_new_urg) {
			printf("%s|B urgent %c\n", key(t->addr),
			       t->client.count_new_urg ? t->client.urgdata : t->server.urgdata);
			return;
		}
		printf("%s|B data count %d offset %d new %d sum %08x server-new %d\n",
		       key(t->addr), h->count, h->offset, h->count_new, sum(h->data, h->count_new),
		       t->server.count_new);
		return;
	default:
		printf("%s|B %s client %d/%d server %d/%d states %d %d\n", key(t->addr),
		       state_name(t->nids_state), h->count, h->offset, t->server.count,
		       t->server.offset, t->client.state, t->server.state);
	}
}

int main(int argc, char **argv)
{
	int n = 0, r;

	if (argc < 3)
		return 2;
	nids_params.filename = argv[2];
	nids_params.scan_num_hosts = 0;
	nids_params.one_loop_less = !strcmp(argv[1], "oneloop");
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_ip_frag(on_ip_frag);
	nids_register_ip(on_ip);
	nids_register_udp(on_udp);
	nids_register_tcp(lines);
	if (strcmp(argv[1], "oneloop"))
		nids_register_tcp(replies);
	if (!strcmp(argv[1], "run") || !strcmp(argv[1], "oneloop")) {
		nids_run();
	} else if (!strcmp(argv[1], "next")) {
		int fd = nids_getfd();
		for (;;) {
			fd_set set;
			struct timeval tv = {1, 0};

			FD_ZERO(&set);
			FD_SET(fd, &set);
			if (select(fd + 1, &set, 0, 0, &tv) < 1 || !nids_next())
				break;
			n++;
		}
		printf("~next read %d packets\n", n);
		nids_exit();
	} else {
		while ((r = nids_dispatch(7)) > 0)
			n += r;
		printf("~dispatch read %d packets\n", n);
		nids_exit();
	}
	printf("~ip_frag %ld packets %ld bytes, ip %ld packets %ld bytes, udp %ld\n", frag_packets,
	       frag_bytes, ip_packets, ip_bytes, udp_datagrams);
	return 0;
}
