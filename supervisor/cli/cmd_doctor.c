/*
 * `attesta doctor [--json] [-v]`: what this kernel and this process allow,
 * and what that means for protection (docs/doctor.md). Runs every probe of
 * doctor_probe.c in its own forked child with a timeout, so a probe that
 * crashes, hangs or leaves a seccomp filter behind cannot hurt the doctor;
 * a probe that dies without answering counts as "missing". Trusts only the
 * kernel's answers. Exit 0 when everything the gate needs is present, 1
 * when the gate cannot protect this host, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "supervisor/cli/doctor_probe.h"

/* A probe gets this long before it is killed and reported missing. */
#define DOCTOR_PROBE_TIMEOUT_MS 10000

static const char *const status_names[] = { "ok", "missing", "note" };
static const char *const need_names[] = { "required", "recommended", "info" };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta doctor [--json] [-v]\n"
		"\n"
		"Probe what this kernel and process allow (seccomp user notification,\n"
		"pidfd_getfd, reading a child's memory, WAIT_KILLABLE_RECV, ptrace exec\n"
		"verification, openat2, Yama, io_uring...) and say what it means for\n"
		"protection. Every probe runs in its own child process.\n"
		"\n"
		"  --json      one JSON object instead of text\n"
		"  -v          show every probe's detail, not only for missing features\n"
		"\n"
		"exit status: 0 the gate can protect this host, 1 it cannot, 2 usage\n");
}

/* Run one probe in a child; a child that dies or hangs reports MISSING. */
static void run_probe(const struct doctor_check *check, struct doctor_result *ret)
{
	struct doctor_result got;
	struct pollfd p;
	int pipefd[2], status = 0;
	ssize_t n = 0;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	ret->status = DOCTOR_MISSING;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret->err = errno;
		snprintf(ret->detail, sizeof(ret->detail), "cannot run the probe: pipe: %s",
			 strerror(errno));
		return;
	}
	fflush(NULL); /* nothing buffered may be written twice by the child */
	pid = fork();
	if (pid < 0) {
		ret->err = errno;
		snprintf(ret->detail, sizeof(ret->detail), "cannot run the probe: fork: %s",
			 strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		struct doctor_result r;

		close(pipefd[0]);
		signal(SIGPIPE, SIG_IGN);
		memset(&r, 0, sizeof(r));
		r.status = DOCTOR_MISSING;
		check->probe(&r);
		_exit(write(pipefd[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(pipefd[1]);
	p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	if (poll(&p, 1, DOCTOR_PROBE_TIMEOUT_MS) == 1) {
		do
			n = read(pipefd[0], &got, sizeof(got));
		while (n < 0 && errno == EINTR);
	}
	close(pipefd[0]);
	if (n != (ssize_t)sizeof(got))
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(got)) {
		*ret = got;
		ret->detail[sizeof(ret->detail) - 1] = '\0';
		ret->consequence[sizeof(ret->consequence) - 1] = '\0';
		if ((unsigned)ret->status > DOCTOR_NOTE)
			ret->status = DOCTOR_MISSING;
	} else if (WIFSIGNALED(status)) {
		snprintf(ret->detail, sizeof(ret->detail), "the probe died with signal %d (%s)",
			 WTERMSIG(status), n == 0 ? "timed out or crashed" : "crashed");
	} else {
		snprintf(ret->detail, sizeof(ret->detail), "the probe gave no answer (exit %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/* How many seccomp filters this process already runs under (inside
 * attesta-run, a container runtime, systemd's SystemCallFilter=): the
 * probes then describe that sandbox, not the host. -1 if unknown. */
static int inherited_filters(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static const char *consequence(const struct doctor_check *check, const struct doctor_result *r)
{
	if (r->consequence[0])
		return r->consequence;
	return r->status == DOCTOR_MISSING ? check->if_missing : check->if_ok;
}

struct verdict {
	bool can_protect;
	unsigned weakened;     /* recommended features missing */
	char summary[512];
};

static void judge(const struct doctor_check *checks, const struct doctor_result *results,
		  unsigned count, struct verdict *v)
{
	const char *blocker = NULL;
	char list[256] = "";
	size_t used = 0;

	v->can_protect = true;
	v->weakened = 0;
	for (unsigned i = 0; i < count; i++) {
		if (results[i].status != DOCTOR_MISSING)
			continue;
		if (checks[i].need == DOCTOR_REQUIRED) {
			if (!blocker)
				blocker = checks[i].feature;
			v->can_protect = false;
		} else if (checks[i].need == DOCTOR_RECOMMENDED) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%s", v->weakened ? ", " : "",
					 checks[i].feature);

			if (w > 0 && (size_t)w < sizeof(list) - used)
				used += (size_t)w;
			v->weakened++;
		}
	}
	if (!v->can_protect)
		snprintf(v->summary, sizeof(v->summary),
			 "the gate cannot protect this host: %s is missing", blocker);
	else if (v->weakened)
		snprintf(v->summary, sizeof(v->summary),
			 "the gate can protect this host, with reduced protection: %s missing", list);
	else
		snprintf(v->summary, sizeof(v->summary),
			 "the gate can protect this host: everything it needs is present");
}

static int print_text(const struct doctor_check *checks, const struct doctor_result *results,
		      unsigned count, const struct verdict *v, bool verbose)
{
	struct utsname u;

	if (uname(&u) == 0)
		printf("attesta doctor: %s %s %s, euid %d\n", u.sysname, u.release, u.machine,
		       (int)geteuid());
	if (inherited_filters() > 0)
		printf("note: this process already runs under %d seccomp filter(s) (attesta-run, a "
		       "container?): the results describe that sandbox, not the host\n",
		       inherited_filters());
	printf("\n");
	for (unsigned i = 0; i < count; i++) {
		const struct doctor_result *r = &results[i];
		bool show = verbose || r->status != DOCTOR_OK || checks[i].need == DOCTOR_INFO ||
			    r->consequence[0];

		printf("%-8s %-36s %s%s%s%s\n", status_names[r->status], checks[i].feature,
		       consequence(&checks[i], r), show && r->detail[0] ? " (" : "",
		       show ? r->detail : "", show && r->detail[0] ? ")" : "");
	}
	printf("\nsummary: %s\n", v->summary);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int print_json(const struct doctor_check *checks, const struct doctor_result *results,
		      unsigned count, const struct verdict *v)
{
	cJSON *root = cJSON_CreateObject(), *list = cJSON_CreateArray();
	struct utsname u;
	char *text = NULL;
	int r = -ENOMEM;

	if (!root || !list) {
		cJSON_Delete(list);
		goto out;
	}
	if (uname(&u) == 0) {
		cJSON_AddStringToObject(root, "kernel", u.release);
		cJSON_AddStringToObject(root, "machine", u.machine);
	}
	cJSON_AddNumberToObject(root, "euid", (double)geteuid());
	cJSON_AddNumberToObject(root, "inherited_seccomp_filters", inherited_filters());
	cJSON_AddItemToObject(root, "checks", list);
	for (unsigned i = 0; i < count; i++) {
		cJSON *c = cJSON_CreateObject();

		if (!c)
			goto out;
		cJSON_AddItemToArray(list, c);
		cJSON_AddStringToObject(c, "id", checks[i].id);
		cJSON_AddStringToObject(c, "feature", checks[i].feature);
		cJSON_AddStringToObject(c, "status", status_names[results[i].status]);
		cJSON_AddStringToObject(c, "need", need_names[checks[i].need]);
		cJSON_AddStringToObject(c, "detail", results[i].detail);
		if (results[i].err)
			cJSON_AddStringToObject(c, "errno", strerrorname_np(results[i].err) ?
						strerrorname_np(results[i].err) : "unknown");
		cJSON_AddStringToObject(c, "consequence", consequence(&checks[i], &results[i]));
	}
	cJSON_AddBoolToObject(root, "gate_can_protect", v->can_protect);
	cJSON_AddNumberToObject(root, "recommended_missing", v->weakened);
	cJSON_AddStringToObject(root, "summary", v->summary);
	text = cJSON_Print(root);
	if (!text)
		goto out;
	printf("%s\n", text);
	r = fflush(stdout) == 0 ? 0 : -EIO;
out:
	free(text);
	cJSON_Delete(root);
	return r;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_result *results;
	const struct doctor_check *checks;
	struct verdict v;
	bool json = false, verbose = false;
	unsigned count;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hjv", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			fprintf(stderr, "attesta: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "attesta: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	checks = doctor_checks(&count);
	results = calloc(count, sizeof(*results));
	if (!results) {
		fprintf(stderr, "attesta: out of memory\n");
		return CLI_EXIT_INVALID;
	}
	for (unsigned i = 0; i < count; i++)
		run_probe(&checks[i], &results[i]);
	judge(checks, results, count, &v);
	r = json ? print_json(checks, results, count, &v)
		 : print_text(checks, results, count, &v, verbose);
	free(results);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot write the report: %s\n", strerror(-r));
		return CLI_EXIT_INVALID;
	}
	return v.can_protect ? CLI_EXIT_OK : CLI_EXIT_INVALID;
}
