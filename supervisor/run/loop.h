/*
 * The supervisor's state and its serve loop (docs/ARCHITECTURE.md): one
 * thread, one generic epoll dispatcher (evloop.h) over the seccomp
 * listener (notify.h), a signalfd (SIGCHLD and the signals forwarded to
 * PROG) and a timerfd (audit group commit). Every notification becomes a
 * held call (struct sup_held) in a table keyed by notification id (held.c);
 * the pipeline (pipeline.h) either finishes it at once (auto decisions,
 * fail_mode) or leaves it held in the approval table (approval.h) while a
 * human answers — so one held call never delays the decisions of other
 * calls. Other descriptors (the approval server, the tty renderer, the
 * shim's sockets, the watcher's pidfd) join with sup_ev_add(&loop->ev, ...).
 *
 * Trust: notifications and everything behind them are attacker input;
 * they are handed to the decoders (decode.h), which bound and validate
 * them. The loop itself only trusts the kernel's ids and pids.
 */
#ifndef ATTESTA_SUP_LOOP_H
#define ATTESTA_SUP_LOOP_H

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/action.h"
#include "policy/engine.h"
#include "supervisor/common/shim_proto.h"
#include "supervisor/run/decode.h"
#include "supervisor/run/decision.h"
#include "supervisor/run/evloop.h"
#include "supervisor/run/gate.h"

struct pol_config;
struct pol_audit_log;
struct pol_trust_store;
struct sup_trust_pg;
struct sup_execcheck;
struct sup_approval;
struct sup_tty;
struct sup_scope_table;
struct sup_shimloop;
struct sup_exec_expect;
struct sup_workers;
struct sup_loop;

/* What the pipeline gathered from the world for the decide stage
 * (pipeline.c: sup_pipeline_facts), so that deciding is pure (decide.h). */
struct sup_facts {
	double now;                   /* epoch seconds (trust decay) */
	int64_t now_ms;               /* CLOCK_MONOTONIC ms (repeat window, repeat.h) */
	double trust;                 /* the agent's trust score; 0.5 without a store */
	bool context_failed;          /* agent/session/environment could not be set (ENOMEM) */
	bool attest_sync_failed;      /* the attestation result's audit entry failed */
	bool approval_socket;         /* connect/send to the approval socket (human.h) */
	bool state_path;              /* names a gate file or a directory above (statepaths.h) */
	bool protected_state;         /* removes a protected state file (state_protect.h) */
	char state_why[320];          /* state_path: why */
};

/*
 * One gated call between NOTIF_RECV and NOTIF_SEND: the record the four
 * stages pass along (docs/ARCHITECTURE.md): decode fills action, reason,
 * kept_fd/kept_fd2 (owned: sup_held_free closes them) and facts; decide
 * fills decision (the engine's score) and verdict; record fills
 * entry_id; respond answers req (or shim_conn) from verdict.
 */
struct sup_held {
	uint64_t id;                  /* notification id (table key) */
	struct seccomp_notif req;     /* copy of the notification */
	struct pol_action *action;    /* decoded action, NULL if decoding failed */
	int decode_result;            /* SUP_DECODE_* or -errno */
	bool evaluated;               /* decision below is filled */
	struct pol_decision decision; /* the engine's score and challenge */
	struct sup_facts facts;       /* gathered for decide */
	struct sup_verdict verdict;   /* what was decided, and by whom */
	char entry_id[64];            /* the audit entry's id once recorded, else "" */
	double intercepted_at;        /* epoch seconds */
	char reason[256];             /* decoder's reason on failure */
	int kept_fd;                  /* what was decided on: parent dir, socket, program; or -1 (owned) */
	int kept_fd2;                 /* a rename's destination parent dir, or -1 (owned) */
	/* An exec decided on a decision thread that traces it itself
	 * (exec_watch.h): set before sup_finish_record; seized when that
	 * thread became its tracer; expect is what it may run (owned). */
	bool exec_here, seized;
	struct sup_exec_expect *expect;
	bool decoded;                 /* begun and decoded by a decision thread, then
	                               * handed over (sup_notify_run_decoded) */
	struct sup_held *next;        /* hash chain; a decision thread's hand-over queue */
	/* Shim-only mode (shimloop.h): the call is a GATE_REQUEST, req is
	 * synthetic, and the answer goes to shim_conn, not to the kernel. */
	bool from_shim;
	int shim_conn;                /* open until answered; sup_held_free closes it */
	struct shim_gate_request shim_req;
};

#define SUP_HELD_BUCKETS 64

struct sup_loop {
	/* set by the caller before sup_loop_run */
	struct sup_gate *gate;            /* what calls are decided against (gate.h); main.c's.
					   * The loop frees its approval table, scopes and
					   * repeats (sup_loop_release). */
	bool session_open;                /* session-start entry written (session.h) */
	int listener;
	pid_t prog_pid;
	bool kill_on_exit;
	bool quiet;                   /* --quiet: no denial lines, no summary (denials.h) */
	unsigned n_denials_said;      /* denial lines printed so far (denials.h) */
	bool give_terminal;
	bool defer_trust_save;        /* trust store bound by file for the agent: save at the end */
	bool tracing;                     /* we are the ptrace tracer of the sandbox */
	bool killable_recv;               /* WAIT_KILLABLE_RECV: only SIGKILL ends a held call */
	struct sup_tty *tty;              /* NULL: no tty renderer; owned (freed first) */
	/* The preload shim (shimloop.h): annotations in both modes; in
	 * shim-only mode (shim_mode, no seccomp listener: listener is -1)
	 * also the gate requests (gate->shim_mode). NULL: no shim. Owned. */
	struct sup_shimloop *shim;

	/* state */
	struct sup_ev ev;                 /* every descriptor the loop serves (evloop.h) */
	int sigfd, timerfd;
	bool timer_armed;                 /* timerfd set for a group commit */
	int64_t timer_due_ms;             /* CLOCK_MONOTONIC ms it is set for */
	bool listener_gone;               /* POLLHUP: no sandboxed process left */
	bool prog_exited;
	int prog_status;                  /* wait status of PROG */
	bool killing;                     /* kill-on-exit in progress */
	struct sup_held *held[SUP_HELD_BUCKETS];
	size_t n_held;
	/* counted with SUP_COUNT (any decision thread) */
	uint64_t n_notifications, n_approved, n_denied, n_gone, n_exec_killed;

	/* Decision threads (workers.h): set before sup_loop_run. 0 or 1:
	 * the loop thread reads the listener (no other thread decides). */
	unsigned decision_threads;
	struct sup_workers *workers;      /* running decision threads, or NULL */
	/* The gate lock (docs/ARCHITECTURE.md, "Processes and threads"):
	 * with decision threads running, held by the loop thread around
	 * each of its handlers and by a decision thread around what it
	 * reads or changes of the gate (sup_gate_lock). */
	pthread_mutex_t gate_lock;
	bool threaded;                    /* decision threads are running */
};

/* A counter of struct sup_loop bumped from any decision thread. */
#define SUP_COUNT(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELAXED)

/* The gate lock, for a decision thread (the loop thread holds it in its
 * handlers already); nothing without decision threads. */
static inline void sup_gate_lock(struct sup_loop *loop)
{
	if (loop->threaded)
		pthread_mutex_lock(&loop->gate_lock);
}

static inline void sup_gate_unlock(struct sup_loop *loop)
{
	if (loop->threaded)
		pthread_mutex_unlock(&loop->gate_lock);
}

/* Prepare epoll, signalfd (blocks the signals it reads) and timerfd.
 * Call before sup_launch_start() so no forwarded signal is lost. 0 or
 * -errno. */
int sup_loop_init(struct sup_loop *loop);

/* Serve until PROG has exited and no sandboxed process is left (or, with
 * kill_on_exit, until the rest has been killed). Returns the exit code
 * for attesta-run (PROG's status, 128+N for signal N) or -errno for an
 * internal failure of the loop itself. */
int sup_loop_run(struct sup_loop *loop);

/* Frees the tty renderer first (restores the terminal), then the
 * approval table and scopes, then the held calls. Safe after a partial
 * set-up (zeroed loop with fds -1). */
void sup_loop_release(struct sup_loop *loop);

/* Held-call table (held.c). */
void sup_held_insert(struct sup_loop *loop, struct sup_held *held);
void sup_held_remove(struct sup_loop *loop, struct sup_held *held);
/* Free every held call and the spare records (at the end). */
void sup_held_free_all(struct sup_loop *loop);
/* A zeroed record (from a small free list of the calling thread, else
 * calloc), NULL on ENOMEM; sup_held_free() gives it back (any thread). */
struct sup_held *sup_held_new(void);
void sup_held_free(struct sup_held *held);
/* Free the calling thread's spare records (a decision thread, at its end). */
void sup_held_spares_free(void);

#endif
