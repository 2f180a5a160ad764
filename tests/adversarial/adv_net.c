/*
 * Network escapes that do not look like a forbidden destination to a
 * decoder that reads the sockaddr as spelled (docs/decode.md, "Socket
 * creation" and "Canonical addresses"), one per run, by raw syscalls:
 *
 *   packet-send HOST PORT          an Ethernet frame carrying IPv4/UDP to
 *                                  HOST:PORT, sent without an address on
 *                                  an AF_PACKET socket bound to lo (root:
 *                                  CAP_NET_RAW)
 *   raw-udp SOCKHOST SOCKPORT UDPPORT   a raw IPPROTO_UDP socket: the UDP
 *                                  header in the payload names UDPPORT,
 *                                  the sockaddr names SOCKPORT (ignored)
 *   raw-hdrincl SOCKHOST IPHOST UDPPORT  an IPPROTO_RAW socket (IP_HDRINCL):
 *                                  the IP header names IPHOST, the sockaddr
 *                                  SOCKHOST
 *   sctp HOST PORT                 an SCTP socket connecting to HOST:PORT
 *   bound-connect BIND DEST PORT   TCP: bind to BIND (or "-"), connect to
 *                                  DEST:PORT (e.g. 0.0.0.0, ::, ::ffff:0.0.0.0)
 *   bound-sendto BIND DEST PORT    UDP: the same with sendto
 *   unspec-sendto HOST PORT        UDP sendto with sin_family AF_UNSPEC
 *   dev-connect DEV DEST PORT      TCP with SO_BINDTODEVICE DEV, connect
 *   dev-sendto DEV DEST PORT       UDP with SO_BINDTODEVICE DEV, sendto
 *   ucif-sendto DEV DEST PORT      UDP with IP_UNICAST_IF DEV, sendto
 *   srr-send HOP DEST PORT         UDP connected to DEST:PORT (allowed),
 *                                  then IP_OPTIONS with a loose source
 *                                  route through HOP, then send(): the
 *                                  datagram goes to HOP
 *
 * The socket() call is part of the attempt: its failure is the RESULT.
 * Prints a RESULT line and exits as adv.h says. Attacker code: needs
 * nothing but libc.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif

static char **g_argv;
static int g_argc;

static const char *arg(int i)
{
	if (i >= g_argc) {
		adv_say("SETUP missing argument %d\n", i);
		_exit(ADV_SETUP);
	}
	return g_argv[i];
}

/* IPv4 text -> sockaddr_in, else IPv6 text -> sockaddr_in6. */
static socklen_t make_addr(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return sizeof *in4;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof *in6;
	}
	adv_say("SETUP bad address '%s'\n", addr);
	_exit(ADV_SETUP);
}

static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* IPv4 header (daddr, protocol UDP) + UDP header (dport) + payload;
 * UDP checksum 0 (none, legal in IPv4). Returns the length. */
static size_t build_ip_udp(uint8_t *buf, const char *daddr, unsigned dport, const char *payload)
{
	struct iphdr ip;
	struct udphdr udp;
	size_t plen = strlen(payload);

	memset(&ip, 0, sizeof ip);
	ip.ihl = 5;
	ip.version = 4;
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	ip.tot_len = htons((uint16_t)(sizeof ip + sizeof udp + plen));
	ip.saddr = htonl(INADDR_LOOPBACK);
	if (inet_pton(AF_INET, daddr, &ip.daddr) != 1) {
		adv_say("SETUP bad address '%s'\n", daddr);
		_exit(ADV_SETUP);
	}
	ip.check = ip_checksum(&ip, sizeof ip);
	memset(&udp, 0, sizeof udp);
	udp.source = htons(40000);
	udp.dest = htons((uint16_t)dport);
	udp.len = htons((uint16_t)(sizeof udp + plen));
	memcpy(buf, &ip, sizeof ip);
	memcpy(buf + sizeof ip, &udp, sizeof udp);
	memcpy(buf + sizeof ip + sizeof udp, payload, plen);
	return sizeof ip + sizeof udp + plen;
}

static int do_packet_send(const char *mode)
{
	uint8_t frame[14 + 128];
	struct sockaddr_ll ll;
	long fd = syscall(SYS_socket, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0)
		return adv_result(mode, -1, errno);
	/* lo's "Ethernet" header: zero addresses, type IPv4 */
	memset(frame, 0, 14);
	frame[12] = 0x08;
	size_t n = 14 + build_ip_udp(frame + 14, arg(2), (unsigned)atoi(arg(3)), "adv-packet");
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = (int)if_nametoindex("lo");
	/* bound, then a send without an address: no destination to judge */
	if (bind((int)fd, (struct sockaddr *)&ll, sizeof ll) < 0)
		adv_die("bind");
	long rc = syscall(SYS_sendto, fd, frame, n, 0, NULL, 0);
	return adv_result(mode, rc, errno);
}

static int do_raw(const char *mode)
{
	uint8_t pkt[128];
	struct sockaddr_storage ss;
	bool hdrincl = !strcmp(mode, "raw-hdrincl");
	long fd = syscall(SYS_socket, AF_INET, SOCK_RAW, hdrincl ? IPPROTO_RAW : IPPROTO_UDP);
	socklen_t len;
	size_t n;

	if (fd < 0)
		return adv_result(mode, -1, errno);
	if (hdrincl) {
		len = make_addr(arg(2), 0, &ss);
		n = build_ip_udp(pkt, arg(3), (unsigned)atoi(arg(4)), "adv-hdrincl");
	} else {
		/* the kernel adds the IP header; the payload is the UDP datagram */
		len = make_addr(arg(2), (unsigned)atoi(arg(3)), &ss);
		n = build_ip_udp(pkt, "127.0.0.1", (unsigned)atoi(arg(4)), "adv-raw-udp");
		memmove(pkt, pkt + sizeof(struct iphdr), n - sizeof(struct iphdr));
		n -= sizeof(struct iphdr);
	}
	long rc = syscall(SYS_sendto, fd, pkt, n, 0, &ss, len);
	return adv_result(mode, rc, errno);
}

static int do_sctp(const char *mode)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(arg(2), (unsigned)atoi(arg(3)), &ss);
	long fd = syscall(SYS_socket, ss.ss_family, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0)
		return adv_result(mode, -1, errno);
	long rc = syscall(SYS_connect, fd, &ss, len);
	return adv_result(mode, rc, errno);
}

/* bound-*, dev-*, ucif-*, unspec-sendto */
static int do_spelled(const char *mode)
{
	bool stream = strstr(mode, "connect") != NULL;
	bool unspec = !strcmp(mode, "unspec-sendto");
	struct sockaddr_storage dst, bnd;
	const char *dest = unspec ? arg(2) : arg(3);
	unsigned port = (unsigned)atoi(unspec ? arg(3) : arg(4));
	socklen_t dlen = make_addr(dest, port, &dst);
	int family = dst.ss_family;
	long rc;

	if (!strncmp(mode, "bound-", 6) && strcmp(arg(2), "-") != 0)
		family = make_addr(arg(2), 0, &bnd) == sizeof(struct sockaddr_in6) ? AF_INET6 : AF_INET;
	int fd = socket(family, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		adv_die("socket");
	if (!strncmp(mode, "bound-", 6) && strcmp(arg(2), "-") != 0) {
		socklen_t blen = make_addr(arg(2), 0, &bnd);
		if (bind(fd, (struct sockaddr *)&bnd, blen) < 0)
			adv_die("bind");
	} else if (!strncmp(mode, "dev-", 4)) {
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, arg(2), (socklen_t)strlen(arg(2))) < 0)
			adv_die("SO_BINDTODEVICE");
	} else if (!strncmp(mode, "ucif-", 5)) {
		uint32_t idx = htonl(if_nametoindex(arg(2)));
		if (setsockopt(fd, IPPROTO_IP, IP_UNICAST_IF, &idx, sizeof idx) < 0)
			adv_die("IP_UNICAST_IF");
	}
	if (unspec)
		((struct sockaddr_in *)&dst)->sin_family = AF_UNSPEC;
	if (stream)
		rc = syscall(SYS_connect, fd, &dst, dlen);
	else
		rc = syscall(SYS_sendto, fd, "adv-spelled", 11, 0, &dst, dlen);
	return adv_result(mode, rc, errno);
}

static int do_srr(const char *mode)
{
	struct sockaddr_storage dst;
	uint8_t opt[8] = { 0x83, 7, 4, 0, 0, 0, 0, 0 }; /* LSRR, one hop, EOL */
	socklen_t dlen = make_addr(arg(3), (unsigned)atoi(arg(4)), &dst);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || dst.ss_family != AF_INET)
		adv_die("socket");
	if (inet_pton(AF_INET, arg(2), opt + 3) != 1)
		adv_die("first hop");
	if (syscall(SYS_connect, fd, &dst, dlen) < 0)
		adv_die("connect (the allowed destination)");
	long rc = syscall(SYS_setsockopt, fd, IPPROTO_IP, IP_OPTIONS, opt, sizeof opt);
	if (rc < 0)
		return adv_result(mode, rc, errno);
	rc = syscall(SYS_sendto, fd, "adv-packet-srr", 14, 0, NULL, 0);
	return adv_result(mode, rc, errno);
}

int main(int argc, char **argv)
{
	g_argv = argv;
	g_argc = argc;
	const char *mode = arg(1);

	if (!strcmp(mode, "packet-send"))
		return do_packet_send(mode);
	if (!strcmp(mode, "raw-udp") || !strcmp(mode, "raw-hdrincl"))
		return do_raw(mode);
	if (!strcmp(mode, "sctp"))
		return do_sctp(mode);
	if (!strcmp(mode, "srr-send"))
		return do_srr(mode);
	if (!strncmp(mode, "bound-", 6) || !strncmp(mode, "dev-", 4) ||
	    !strncmp(mode, "ucif-", 5) || !strcmp(mode, "unspec-sendto"))
		return do_spelled(mode);
	adv_say("SETUP unknown mode '%s'\n", mode);
	return ADV_SETUP;
}
