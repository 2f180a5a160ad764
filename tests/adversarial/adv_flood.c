/*
 * Holding the gate's resources: N threads each make a call that waits for
 * a human (an exec of PATH that the policy sends to an approver), so the
 * supervisor keeps a held call, and a descriptor of the program to verify,
 * for each. If the supervisor ran out of descriptors, the approver could
 * no longer connect (`attesta pending` / `approve`) and every new call
 * would fail to decode. After starting them the main thread checks that
 * the gate still decides: removing alive.txt is allowed, PROTECTED.txt is
 * denied. Then it writes "flooding" and waits for the threads.
 *
 * usage: adv_flood N PATH. RESULT lines: alive-allowed, alive-forbidden,
 * then "held" with how many execs came back EPERM (rc = that count).
 * Attacker code.
 */
#include "adv.h"

#include <pthread.h>

static const char *target;
static int n_denied, n_other;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *held_exec(void *arg)
{
	(void)arg;
	char *argv[] = { (char *)target, NULL };
	char *envp[] = { NULL };
	long rc = syscall(SYS_execve, target, argv, envp);
	int err = errno;
	pthread_mutex_lock(&mu);
	if (rc < 0 && (err == EPERM || err == EACCES))
		n_denied++;
	else
		n_other++;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: adv_flood N PATH\n");
		return ADV_SETUP;
	}
	int n = atoi(argv[1]);
	target = argv[2];
	pthread_t *t = calloc((size_t)n, sizeof *t);
	if (!t || n <= 0)
		return ADV_SETUP;
	int started = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, held_exec, NULL) == 0)
			started++;
	adv_say("INFO started %d threads\n", started);
	sleep(2); /* let every exec reach the supervisor */
	long alive = adv_unlink("alive.txt");
	int alive_code = adv_result("alive-allowed", alive, errno);
	long bad = adv_unlink("PROTECTED.txt");
	int bad_code = adv_result("alive-forbidden", bad, errno);
	int fd = open("flooding", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	adv_say("RESULT held rc=%d errno=0 (denied %d, other %d)\n", n_denied, n_denied, n_other);
	return alive_code == ADV_OK && bad_code == ADV_DENIED ? 0 : 2;
}
