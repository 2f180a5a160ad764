/*
 * Signal storm against a held call: a thread connects to ADDR:PORT (the
 * test makes that connect block for a few seconds: the listener's accept
 * queue is full) while SIGALRM arrives every millisecond, handled with
 * SA_RESTART. Each interruption may restart the system call; the gate
 * must still make ONE decision for it (one audit entry, one prompt), not
 * one per restart.
 *
 *   adv_storm ADDR PORT
 *
 * Prints RESULT connect and "INFO signals=N seconds=S". Attacker code.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>

static atomic_long g_signals;
static struct sockaddr_in g_sa;
static long g_rc;
static int g_err;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&g_signals, 1);
}

static void *connector(void *unused)
{
	(void)unused;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		adv_die("socket");
	g_rc = syscall(SYS_connect, fd, &g_sa, sizeof g_sa);
	g_err = errno;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: adv_storm ADDR PORT\n");
		return ADV_SETUP;
	}
	g_sa.sin_family = AF_INET;
	g_sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &g_sa.sin_addr) != 1)
		return ADV_SETUP;

	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	/* The storm goes to the connecting thread: block it here. */
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_t t;
	double t0 = adv_now();
	if (pthread_create(&t, NULL, connector, NULL) != 0)
		adv_die("pthread_create");
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_join(t, NULL);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	adv_say("INFO signals=%ld seconds=%.2f\n", atomic_load(&g_signals), adv_now() - t0);
	return adv_result("connect", g_rc, g_err);
}
