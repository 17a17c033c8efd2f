/* scanwatch: a scan and datagram watcher as libnids programs write it: the
 * syslog hook receives scan reports (copying libnids' struct host and
 * struct scan, which nids.h does not declare) and warnings; ip_frag, ip and
 * udp callbacks count packets and bytes. Driven by nids_dispatch().
 *
 *   scanwatch capture.pcap */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "nids.h"

struct scan {
	u_int addr;
	unsigned short port;
	u_char flags;
};

struct host {
	struct host *next;
	struct host *prev;
	u_int addr;
	int modtime;
	int n_packets;
	struct scan *packets;
};

static long frags, ips, udps, udp_bytes;

static void hook(int type, int err, struct ip *iph, void *data)
{
	struct in_addr a;

	if (type == NIDS_WARN_SCAN) {
		struct host *h = data;
		a.s_addr = h->addr;
		printf("scan from %s, %d probes:", inet_ntoa(a), h->n_packets);
		for (int i = 0; i < h->n_packets; i++) {
			a.s_addr = h->packets[i].addr;
			printf(" %s:%u/%02x", inet_ntoa(a), h->packets[i].port, h->packets[i].flags);
		}
		printf("\n");
		return;
	}
	printf("warning %d/%d", type, err);
	if (iph) {
		a.s_addr = iph->ip_src.s_addr;
		printf(" from %s, %u bytes", inet_ntoa(a), ntohs(iph->ip_len));
	}
	printf("\n");
}

static void on_frag(struct ip *p, int len)
{
	(void)p;
	(void)len;
	frags++;
}

static void on_ip(struct ip *p, int len)
{
	(void)len;
	if (p->ip_v == 4)
		ips++;
}

static void on_udp(struct tuple4 *a, u_char *data, int len, struct ip *iph)
{
	char copy[65536];

	(void)a;
	(void)iph;
	memcpy(copy, data, len);
	copy[len] = 0;
	udps++;
	udp_bytes += len;
}

int main(int argc, char **argv)
{
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: scanwatch capture.pcap\n");
		return 2;
	}
	nids_params.filename = argv[1];
	nids_params.syslog = hook;
	if (!nids_init()) {
		fprintf(stderr, "%s\n", nids_errbuf);
		return 1;
	}
	nids_register_ip_frag(on_frag);
	nids_register_ip(on_ip);
	nids_register_udp(on_udp);
	while ((n = nids_dispatch(16)) > 0)
		;
	nids_exit();
	printf("frames %ld, datagrams %ld, udp %ld (%ld bytes)\n", frags, ips, udps, udp_bytes);
	return 0;
}
