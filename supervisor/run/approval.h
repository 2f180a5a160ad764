/*
 * Human approvals for held calls (docs/challenges.md): the table of calls waiting
 * for a human, their challenges (policy/challenge.h), their deadlines
 * (timeout_seconds, then fail_mode), and the approval socket that
 * `attesta pending | approve | deny` talk to (docs/approvals.md). The tty
 * renderer (tty.h) drives the same table from the supervisor's terminal.
 *
 * Everything runs on the supervisor's one thread: the module exposes one
 * epoll descriptor (sup_approval_fd) that the event loop watches, and
 * sup_approval_dispatch() does whatever is ready (accept, read, answer,
 * timeouts) without ever blocking, so a call waiting for a human never
 * delays another call's decision.
 *
 * Trust: approvers are identified by the kernel (SO_PEERCRED uid, or the
 * owner of the terminal), never by what they type. Peers whose process is
 * inside the sandbox are refused (approval_peer.c). Lines from peers are
 * untrusted: bounded by POL_APPROVAL_MAX_LINE, parsed whole, and only
 * ever compared against the challenge's expected answers, which are never
 * sent to anyone.
 *
 * Ownership: a held item borrows nothing after sup_approval_hold() (it
 * copies what it shows); the cookie is the caller's and is handed back
 * once, to ops->decided.
 */
#ifndef ATTESTA_SUP_APPROVAL_H
#define ATTESTA_SUP_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/action.h"
#include "policy/challenge.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "supervisor/run/decision.h"

struct cJSON;
struct sup_approval;

/* How a held call ended. Everything is borrowed for the duration of the
 * decided callback only. */
struct sup_approval_outcome {
	bool approved;
	enum sup_verdict_kind verdict;   /* APPROVED, DENIED, TIMED_OUT, ESCALATED */
	enum sup_source decision_source; /* HUMAN, TIMEOUT, SUPERVISOR */
	const char *reason;              /* one line */
	const char *const *approver_ids; /* NULL-terminated; identities that took part */
	bool challenge_presented;        /* an approver began: challenge_passed is meaningful */
	bool challenge_passed;
	double review_seconds;           /* first begin to last answer, real time */
	bool min_review_met;
	struct cJSON *challenge_result;  /* ChallengeResult (pol_challenge_result_json) or NULL */
	bool session_grant;              /* approved "for this session" (audited) */
	bool escalation;                 /* fail_mode escalate applied */
	bool warning;                    /* fail_mode allow applied: approved unreviewed */
	bool human_decision;             /* feeds the trust engine */
};

struct sup_approval_ops {
	void *ctx;
	/* The call was decided: write its entry, answer the kernel. Called
	 * exactly once per held item; the item is gone after it returns. */
	void (*decided)(void *ctx, void *cookie, const struct sup_approval_outcome *outcome);
	/* Whether the held call still exists (NULL: assume it does). A call
	 * whose target died is dropped with decided(..., "denied",
	 * reason "target gone"). */
	bool (*alive)(void *ctx, void *cookie);
};

struct sup_approval_opts {
	const struct pol_config *config;
	const char *session_id;          /* names the default socket */
	pid_t supervisor_pid;            /* root of the sandbox (approval_peer.c) */
	bool listen;                     /* create the approval socket */
	bool announce;                   /* print "held #ID ... run 'attesta approve'" on stderr */
	const char *escalation_env_agent; /* agent id passed to gate.escalation_command */
};

/* Create the table (and, with opts->listen, the socket: path from
 * config->approval_socket, else $XDG_RUNTIME_DIR/attesta/SESSION.sock,
 * else /tmp/attesta-UID/SESSION.sock; directory 0700 (0750 with
 * gate.approval_group), socket 0600 (0660)). 0, or -errno with why
 * filled ("cannot bind approval socket '...': ..."). */
int sup_approval_new(const struct sup_approval_opts *opts, const struct sup_approval_ops *ops,
		     struct sup_approval **ret_approval, char *why, size_t why_size);
/* Remove the socket and free everything. Items still held are NOT
 * decided (the caller is tearing down the loop). free(NULL) is a no-op. */
void sup_approval_free(struct sup_approval *approval);

/* The descriptor to watch for EPOLLIN (an epoll set of its own). */
int sup_approval_fd(const struct sup_approval *approval);
/* A new policy (a reloaded signed bundle, docs/fleet.md): calls held from
 * now on use config (fail_mode, timeout, challenges); items already held
 * keep what they were created with. config must outlive the approval. */
void sup_approval_set_config(struct sup_approval *approval, const struct pol_config *config);
/* The socket path, or NULL when not listening. */
const char *sup_approval_socket_path(const struct sup_approval *approval);
/* Do what is ready. Never blocks. 0 or -errno (internal failure). */
int sup_approval_dispatch(struct sup_approval *approval);
/* Number of items held. */
size_t sup_approval_count(const struct sup_approval *approval);

/* Hold a call for a human: build its challenge from action and decision
 * (both read here only), start its deadline (config->timeout_seconds).
 * 0 and the public id in *ret_id, or -errno (the caller then applies
 * fail_mode itself). */
int sup_approval_hold(struct sup_approval *approval, void *cookie, const struct pol_action *action,
		      const struct pol_decision *decision, unsigned *ret_id);
/* The same with the measured scale of a removal (NULL: unknown), shown to
 * the approvers and asked about (docs/challenges.md "Scale of a removal"). */
int sup_approval_hold_scaled(struct sup_approval *approval, void *cookie,
			     const struct pol_action *action, const struct pol_decision *decision,
			     const struct pol_removal_scale *scale, unsigned *ret_id);
/* Held calls decided so far and the total seconds they waited for a human
 * (the exit summary, denials.h). */
void sup_approval_held_stats(const struct sup_approval *approval, unsigned long long *ret_count,
			     double *ret_seconds);

/* --- for renderers (socket protocol, tty) ------------------------------ */

struct pol_challenge_state;

/* Monotonic seconds, the clock of every challenge and deadline here. */
double sup_approval_now(void);

/* The oldest held item that identity can still take part in, after
 * after_id (0: from the start); 0 when none. */
unsigned sup_approval_next(const struct sup_approval *approval, const char *identity,
			   unsigned after_id);
/* The challenge of item id (NULL: no such id). Renderers show question
 * text and options only. */
struct pol_challenge_state *sup_approval_challenge(struct sup_approval *approval, unsigned id);
/* The static description of item id ({"id", "action", "class", ...}, see
 * docs/approvals.md), borrowed; NULL: no such id. */
const struct cJSON *sup_approval_info(const struct sup_approval *approval, unsigned id);
/* Seconds until item id times out (0 when due or unknown). */
double sup_approval_seconds_left(const struct sup_approval *approval, unsigned id);
/* Whether item id may be approved "for this session" (below CRITICAL). */
bool sup_approval_session_allowed(const struct sup_approval *approval, unsigned id);

/* JSON of one item for identity (info + seconds_left, approvers, the
 * questions of the part identity holds or would get). Caller owns. */
struct cJSON *sup_approval_item_json(struct sup_approval *approval, unsigned id,
				     const char *identity);

/* identity begins (or resumes) its part of item id. 0 and *ret_part, or
 * -ENOENT (no such id), -EBUSY, -EALREADY, -EINVAL (pol_challenge_begin). */
int sup_approval_begin(struct sup_approval *approval, unsigned id, const char *identity,
		       size_t *ret_part);

enum sup_submit_status {
	SUP_SUBMIT_TOO_EARLY = 0, /* refused, nothing recorded; *ret_wait seconds left */
	SUP_SUBMIT_WAITING,       /* this part passed; other approvers still needed */
	SUP_SUBMIT_APPROVED,      /* the call was approved (and is gone) */
	SUP_SUBMIT_DENIED,        /* a wrong answer or decline: the call was denied (and is gone) */
	SUP_SUBMIT_NOT_AN_OPTION, /* refused, nothing recorded: an answer that is none of its
				   * question's options; *ret_wait is the question's index */
};
/* identity answers every question of its part at once (answers[i] for
 * question i; n must equal the part's question count), in order, stopping
 * at the first wrong one (the call is then denied; later answers are not
 * recorded). Every answer's form is checked first: one that is not an
 * option refuses the whole submission (NOT_AN_OPTION, nothing recorded).
 * session asks for "approve for this session" (ignored when not allowed;
 * never offered or granted for a failed challenge). Returns a
 * sup_submit_status, or -ENOENT, -EBUSY, -EALREADY, -EINVAL (wrong count,
 * bad answer), -ENOMEM. ret_wait (may be NULL) gets the review seconds
 * left for TOO_EARLY. */
int sup_approval_submit(struct sup_approval *approval, unsigned id, const char *identity,
			const char *const *answers, size_t n, bool session, double *ret_wait);
/* One question at a time (the tty, `attesta approve`, a remote approver):
 * identity answers question index (its part's next question,
 * pol_challenge_next_question) of item id. */
enum sup_answer_status {
	SUP_ANSWER_TOO_EARLY = 0, /* refused, nothing recorded; *ret_wait seconds left */
	SUP_ANSWER_NOT_AN_OPTION, /* refused, nothing recorded; ask again */
	SUP_ANSWER_NEXT,          /* right: ask the next question */
	SUP_ANSWER_PASSED,        /* identity's part passed: now sup_approval_conclude() */
	SUP_ANSWER_DENIED,        /* wrong (or declined): the call was denied and is gone */
};
/* Returns a sup_answer_status, or -ENOENT, -EBUSY, -EALREADY, -EINVAL
 * (not the next question, bad answer), -E2BIG, -ENOMEM. */
int sup_approval_answer(struct sup_approval *approval, unsigned id, const char *identity,
			size_t index, const char *answer, double *ret_wait);
/* After SUP_ANSWER_PASSED: identity says whether it approves "for this
 * session" too (ignored for CRITICAL). SUP_SUBMIT_APPROVED (the call was
 * approved and is gone) or SUP_SUBMIT_WAITING (other approvers needed),
 * or -ENOENT, -EALREADY (already concluded), -EINVAL (identity's part
 * has not passed). */
int sup_approval_conclude(struct sup_approval *approval, unsigned id, const char *identity,
			  bool session);
/* identity denies item id. 0 or -ENOENT. */
int sup_approval_deny(struct sup_approval *approval, unsigned id, const char *identity,
		      const char *reason);

/* Renderers that want to know when the table changes: an item was held
 * (outcome NULL) or decided (outcome says how; called after ops->decided).
 * Called from inside approval functions: do not call back into the
 * table from here, just note it (tty.c wakes itself with an eventfd). */
typedef void (*sup_approval_changed_fn)(void *ctx, unsigned id,
					const struct sup_approval_outcome *outcome);
void sup_approval_set_changed(struct sup_approval *approval, sup_approval_changed_fn fn, void *ctx);
/* A second listener of the same kind, for another source of answers
 * (the fleet approval queue, approval_pg.h). */
void sup_approval_set_observer(struct sup_approval *approval, sup_approval_changed_fn fn,
			       void *ctx);

/* Apply fail_mode to item id now, as its timeout would, with cause in
 * the reason ("no answer: CAUSE: fail_mode deny"). 0 or -ENOENT. */
int sup_approval_fail(struct sup_approval *approval, unsigned id, const char *cause);

/* Identity of a uid: the user name (getpwuid_r), else "uid:N". */
void sup_approval_uid_name(uid_t uid, char *buf, size_t size);

/* Whether pid is inside the sandbox rooted at supervisor_pid (a
 * descendant of it, traced by it, or under more seccomp filters than the
 * supervisor). Unknowable (gone, unreadable, pid 0) counts as inside.
 * why gets a short reason when true. */
bool sup_approval_peer_sandboxed(pid_t pid, pid_t supervisor_pid, char *why, size_t why_size);

/* The questions of one part of a challenge as the socket and the fleet
 * queue show them: [{index, kind, text, options}]. SECURITY: text and
 * options only, never the accepted answers. (approval_info.c) */
struct cJSON *sup_approval_questions_json(const struct pol_challenge_state *ch, size_t part);

#endif
