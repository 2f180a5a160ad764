/*
 * The probes of `attesta doctor` (doctor_probe.c): each asks the kernel
 * whether one thing the gate relies on works here, by trying it on a
 * harmless target. A probe runs inside a throw-away child process (the
 * runner in cmd_doctor.c forks, calls the probe, sends its result back
 * through a pipe and exits), so it may install seccomp filters, trace,
 * crash or hang without touching the doctor itself; helpers a probe forks
 * die with it (PR_SET_PDEATHSIG).
 */
#ifndef ATTESTA_CLI_DOCTOR_PROBE_H
#define ATTESTA_CLI_DOCTOR_PROBE_H

enum doctor_status {
	DOCTOR_OK = 0,   /* present and working */
	DOCTOR_MISSING,  /* absent, refused or broken */
	DOCTOR_NOTE,     /* a fact about the host, neither good nor bad */
};

/* How much the gate needs a feature. */
enum doctor_need {
	DOCTOR_REQUIRED = 0, /* without it the gate cannot run or cannot protect */
	DOCTOR_RECOMMENDED,  /* without it protection or usability is reduced */
	DOCTOR_INFO,         /* reported for the record */
};

/* What a probe found. detail is a short fact ("kernel 6.1.0", "EINVAL");
 * consequence, when set, replaces the check's fixed sentence (for checks
 * whose meaning depends on a value, such as Yama's scope). */
struct doctor_result {
	enum doctor_status status;
	int err;                 /* errno of the failed step, 0 if none */
	char detail[160];
	char consequence[240];
};

struct doctor_check {
	const char *id;          /* stable name for --json */
	const char *feature;     /* what the text output shows */
	enum doctor_need need;
	void (*probe)(struct doctor_result *ret);
	const char *if_ok;       /* one sentence: what it means when present */
	const char *if_missing;  /* one sentence: what it means when absent */
};

/* How attesta-run would keep the gate's files out of the agent's reach
 * here (doctor_state.c). */
void doctor_probe_state(struct doctor_result *ret);
/* Whether PROCMAP_QUERY answers on /proc/self/maps (doctor_procmap.c). */
void doctor_probe_procmap(struct doctor_result *ret);

/* The checks, in report order; *ret_count receives their number. */
const struct doctor_check *doctor_checks(unsigned *ret_count);

#endif
