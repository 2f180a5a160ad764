/*
 * gate_thread_files: a thread with a descriptor table of its own (clone
 * with CLONE_THREAD but without CLONE_FILES) sends on the socket its own
 * table names, while the same number in the thread group leader's table
 * is another socket. The gate must take the calling thread's socket
 * (docs/decode.md, "Sockets"): natively the datagram comes from the
 * thread's socket, and so it must under attesta-run.
 *
 * The leader binds UDP socket A (descriptor N) and a receiver R, then
 * clones the thread (its table starts as a copy). The thread closes N,
 * opens UDP socket B (it gets N again), binds it, and
 *   1. sendto(N, "one", R): R must see B's port as the source;
 *   2. connect(N, R), then send(N, "two"): B must be the connected one.
 * Prints "sendto from thread socket", "connect on thread socket" or what
 * went wrong; exits 0 when both hold.
 *
 *   gate_thread_files
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int sock_a, recv_fd;
static struct sockaddr_in recv_addr;
static volatile int thread_port, thread_done, sendto_errno, connect_errno, send_errno;

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;

	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return -1;
	return ntohs(a.sin_port);
}

static int udp_bound(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return fd;
}

/* Runs with a table of its own: no libc state that needs TLS. */
static int thread_main(void *arg)
{
	(void)arg;
	close(sock_a);
	int b = udp_bound(); /* the lowest free number: sock_a's */
	if (b != sock_a) {
		thread_port = -1;
		__atomic_store_n(&thread_done, 1, __ATOMIC_RELEASE);
		return 0;
	}
	thread_port = port_of(b);
	if (sendto(b, "one", 3, 0, (struct sockaddr *)&recv_addr, sizeof recv_addr) < 0)
		sendto_errno = errno;
	if (connect(b, (struct sockaddr *)&recv_addr, sizeof recv_addr) < 0)
		connect_errno = errno;
	else if (send(b, "two", 3, 0) < 0)
		send_errno = errno;
	__atomic_store_n(&thread_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* The source port of the next datagram on recv_fd (2 s at most). */
static int next_source(char *what, size_t size)
{
	struct sockaddr_in from;
	socklen_t l = sizeof from;
	struct timeval tv = { .tv_sec = 2 };

	setsockopt(recv_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recvfrom(recv_fd, what, size - 1, 0, (struct sockaddr *)&from, &l);
	if (n < 0)
		return -1;
	what[n] = '\0';
	return ntohs(from.sin_port);
}

int main(void)
{
	static char stack[256 * 1024];
	char what[16];
	int bad = 0;

	sock_a = udp_bound();
	recv_fd = udp_bound();
	socklen_t l = sizeof recv_addr;
	if (sock_a < 0 || recv_fd < 0 ||
	    getsockname(recv_fd, (struct sockaddr *)&recv_addr, &l) < 0) {
		perror("gate_thread_files: socket");
		return 2;
	}
	const int port_a = port_of(sock_a);
	/* CLONE_THREAD without CLONE_FILES: the thread's table is a copy */
	if (clone(thread_main, stack + sizeof stack,
		  CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, NULL) < 0) {
		perror("gate_thread_files: clone");
		return 2;
	}
	while (!__atomic_load_n(&thread_done, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (thread_port <= 0) {
		printf("thread did not get descriptor %d back\n", sock_a);
		return 2;
	}
	if (sendto_errno)
		printf("sendto failed: errno=%d\n", sendto_errno), bad = 1;
	else {
		int src = next_source(what, sizeof what);
		if (src == thread_port && !strcmp(what, "one"))
			printf("sendto from thread socket\n");
		else
			printf("sendto from port %d ('%s'), thread socket %d, leader socket %d\n", src,
			       what, thread_port, port_a), bad = 1;
	}
	if (connect_errno || send_errno)
		printf("connect/send failed: errno=%d/%d\n", connect_errno, send_errno), bad = 1;
	else {
		int src = next_source(what, sizeof what);
		if (src == thread_port && !strcmp(what, "two"))
			printf("connect on thread socket\n");
		else
			printf("send after connect from port %d ('%s'), thread socket %d, leader "
			       "socket %d\n", src, what, thread_port, port_a), bad = 1;
	}
	return bad;
}
