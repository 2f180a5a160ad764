/*
 * Starting PROG under the gate (docs/ARCHITECTURE.md): fork; the child joins its own
 * process group, sets NO_NEW_PRIVS, loads the filter with a listener,
 * tells the parent its listener fd number over a socketpair (the parent
 * takes it with pidfd_getfd: sendmsg is already gated by then), closes
 * every copy, waits for the parent's go-ahead and execs PROG. That exec is
 * itself gated, so the parent must be serving the listener before it
 * says go.
 *
 * Trust: PROG and its arguments come from the user who runs attesta-run;
 * nothing from the sandbox is read here.
 */
#ifndef ATTESTA_SUP_LAUNCH_H
#define ATTESTA_SUP_LAUNCH_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

struct sup_shimrecv;
struct sup_shimgate;
struct sup_sandbox;
struct sup_tty;

struct sup_launch_opts {
	const char *path;         /* resolved program path (see sup_launch_resolve) */
	char *const *argv;        /* argv[0] is what the user typed */
	const struct sock_fprog *filter;
	bool give_terminal;       /* stdin is our controlling tty and we are in the foreground */
	bool trace;               /* become PROG's ptrace tracer (exec verification) */
	struct sup_tty *tty;      /* PROG's terminal (tty.h; its pty may be replaced by
				   * the sandbox's, sup_tty_adopt_master), NULL: none */
	char *const *envp;        /* PROG's environment (shim variables added), NULL: environ */
	const struct sup_shimrecv *shim; /* its socket is inherited by PROG; NULL: no shim */
	const struct sup_shimgate *gate; /* shim-only mode: the first exec asks it */
	const struct sup_sandbox *sandbox; /* the gate's state out of reach (sandbox_ns.h), or NULL */
	/* Shim-only mode (docs/shim.md): filter is NULL, no listener is
	 * made; ret_child->listener is -1. */
};

struct sup_child {
	pid_t pid;                /* PROG, also its process group (and, with a tty, session) id */
	int listener;             /* seccomp listener (O_CLOEXEC), owned by the caller */
	int control;              /* our end of the socketpair until sup_launch_go */
	bool killable;            /* WAIT_KILLABLE_RECV was accepted */
	bool traced;              /* PTRACE_SEIZE succeeded (opts.trace) */
	int trace_errno;          /* why it did not, if it did not */
	bool unprotected;         /* the sandbox could not be applied (optional): reason says why */
};

/* Find PROG the way execvp would (a name with a slash is used as is;
 * otherwise the first regular, executable file in $PATH). On success
 * *ret_path is malloc'd. -ENOENT (not found: exit 127), -EACCES (found
 * but not executable: exit 126), -ENOMEM. */
int sup_launch_resolve(const char *prog, char **ret_path);

/* Fork the child and receive its listener. The child stays blocked until
 * sup_launch_go(). -errno on failure, with reason filled (the child, if
 * any, has been killed and reaped). */
int sup_launch_start(const struct sup_launch_opts *opts, struct sup_child *ret_child,
		     char *reason, size_t reason_size);

/* Let the child exec PROG. Closes child->control. 0 or -errno. */
int sup_launch_go(struct sup_child *child);

/* Exit statuses the child uses when it cannot become PROG (docs/attesta-run.md). */
#define SUP_EXIT_INTERNAL 125
#define SUP_EXIT_CANNOT_EXEC 126
#define SUP_EXIT_NOT_FOUND 127

#endif
