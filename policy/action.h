/*
 * ActionContext: everything the policy engine knows about one action under
 * review (docs/decode.md). Two shapes share one struct:
 *
 *  - a syscall action (exec, unlink, rmdir, connect, sendto), filled by the
 *    supervisor from a seccomp notification or by `attesta score exec ...`;
 *  - a generic action (the reference SDK's ActionContext: function_name,
 *    args, kwargs, function_doc, hints), read from JSON by
 *    `attesta score --context`.
 *
 * Strings are NUL-terminated byte strings. Paths and argv come from the
 * kernel, where NUL cannot occur inside them, so a C string is lossless;
 * they need not be UTF-8 (the audit log keeps them as surrogateescape).
 *
 * Ownership: a struct pol_action owns every pointer in it; pol_action_free()
 * releases them all. Not thread-safe; one action belongs to one thread.
 */
#ifndef ATTESTA_ACTION_H
#define ATTESTA_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cJSON;

enum pol_action_class {
	POL_ACTION_GENERIC = 0, /* reference ActionContext, not a syscall */
	POL_ACTION_EXEC,
	POL_ACTION_UNLINK,
	POL_ACTION_RMDIR,
	POL_ACTION_CONNECT,
	POL_ACTION_SENDTO,
	POL_ACTION_RENAME,      /* rename, renameat, renameat2: a removal (docs/decode.md) */
	POL_ACTION_SOCKET,      /* socket/socketpair of a kind decided at creation */
};

/* "generic", "exec", "unlink", "rmdir", "connect", "sendto", "rename", "socket". */
const char *pol_action_class_name(enum pol_action_class action_class);
/* Inverse of the above; returns -EINVAL for an unknown name. */
int pol_action_class_parse(const char *name, enum pol_action_class *ret_class);

/* A growable vector of owned C strings. */
struct pol_strv {
	char **items;
	size_t count;
	size_t capacity;
};

/* Append a copy of s (len bytes, need not be NUL-terminated). 0 or -ENOMEM. */
int pol_strv_push(struct pol_strv *v, const char *s, size_t len);
void pol_strv_release(struct pol_strv *v);

/* What the target's file looked like when an unlink was decided. */
struct pol_file_info {
	bool known;          /* false when lstat failed (ENOENT etc.) */
	char type[16];       /* "file", "dir", "symlink", "socket", "fifo", "char", "block" */
	uint64_t size;
	uid_t owner;
	/* identity when decoded (the gate's own files are refused by it,
	 * supervisor/run/state_protect.h); not part of the audit entry */
	dev_t dev;
	ino_t ino;
};

struct pol_action {
	enum pol_action_class action_class;

	/* Reference fields. For syscall actions function_name is the basename
	 * of the resolved program (exec) or "unlink" / "rmdir" / "connect" /
	 * "sendto"; args are argv[1..] (exec), the absolute path (unlink,
	 * rmdir) or "host:port" / the AF_UNIX path (connect, sendto). */
	char *function_name;
	struct pol_strv args;
	char *function_doc;          /* NULL when absent */
	char *agent_id;              /* NULL means "default" */
	char *session_id;
	char *environment;           /* "development" when NULL */

	/* Generic actions only (NULL for syscall actions): the JSON values of
	 * the reference context, kept as parsed so the scorer can stringify
	 * them the way Python's str() does. */
	struct cJSON *generic_args;   /* array */
	struct cJSON *generic_kwargs; /* object */
	struct cJSON *hints;          /* object; may also be set for syscall actions */

	/* Syscall context. */
	pid_t pid;                   /* thread id that made the call */
	pid_t tgid;
	pid_t ppid;
	char *exe;                   /* /proc/PID/exe of the caller */
	char *cwd;                   /* caller's cwd */
	char *argv0;                 /* exec: argv[0] as passed */
	char *path;                  /* exec: absolute program path; unlink/rmdir: absolute target;
	                              * rename: absolute source */
	struct pol_file_info file;   /* unlink/rmdir target; rename source */
	bool exec_anonymous;         /* exec of a memfd / deleted file / AT_EMPTY_PATH fd */
	/* exec: the path as the caller gave it (its basename is the typed
	 * name, policy/exec_names.h), or NULL when unknown; exec_unpinned
	 * when the agent could change a link, directory or file on the way
	 * from it to the program (or to a script's interpreter:
	 * interp_unpinned), so that no override lowers the risk by a name. */
	char *typed_path;
	bool exec_unpinned;
	bool interp_unpinned;
	char *interpreter;           /* exec of a "#!" script: the program that really runs, or NULL */
	struct pol_strv interp_argv; /* its words before the script (interpreter, "#!" argument,
	                              * nested ones), as the kernel passes them */
	/* exec of a dynamic ELF: its PT_INTERP resolved in the target's view
	 * (NULL for a static program) and its identity; elf_interp_loader
	 * when it is the dynamic loader (docs/decode.md). */
	char *elf_interp;
	uint64_t elf_interp_dev, elf_interp_ino;
	bool elf_interp_loader;
	/* exec of the dynamic loader as a program: the program it is asked
	 * to run (resolved), its identity and the argv it will get, or NULL. */
	char *loader_target;
	uint64_t loader_target_dev, loader_target_ino;
	struct pol_strv loader_argv;
	struct pol_strv env;         /* exec: "NAME=value" for env vars named in config */
	struct pol_strv chain;       /* process chain, caller first: "python3", "bash", "agent" */

	/* rename (args are source and destination): the destination, what
	 * it was when decided (known: it exists and would be removed or
	 * exchanged), and the call's flags (RENAME_NOREPLACE, _EXCHANGE,
	 * _WHITEOUT). */
	char *dest_path;
	struct pol_file_info dest_file;
	bool rename_replaces;        /* an existing destination is removed */
	bool rename_exchange;        /* RENAME_EXCHANGE: both names swap */
	unsigned rename_flags;
	/* Absolute paths under a directory the rename moves (the source, or
	 * an exchanged destination), as listed when decided; truncated when
	 * there were more than POL_RENAME_TREE_MAX_ENTRIES or a level deeper
	 * than POL_RENAME_TREE_MAX_DEPTH, or a directory could not be read. */
	struct pol_strv rename_tree;
	bool rename_tree_truncated;

	/* connect / sendto */
	int family;                  /* AF_INET, AF_INET6, AF_UNIX */
	int socktype;                /* SOCK_STREAM, SOCK_DGRAM, ... (0 unknown) */
	char *address;               /* numeric address, or AF_UNIX path ("@name" if abstract) */
	uint16_t port;
	char *host;                  /* host name claimed by the shim, or NULL */
	bool host_verified;          /* supervisor's own resolution matched */

	/* Shim context (any syscall class; NULL when the shim said nothing):
	 * the libc entry point that made the call ("system", "posix_spawnp",
	 * "connect", ...) and, for system/popen, the command string. Claims
	 * of the agent, for display and audit only. */
	char *libc_entry;
	char *libc_command;

	double intercepted_at;       /* seconds since the epoch, UTC */
};

/* Allocate a zeroed action of the given class. NULL on ENOMEM. */
struct pol_action *pol_action_new(enum pol_action_class action_class);
/* Free an action and everything it owns. free(NULL) semantics. */
void pol_action_free(struct pol_action *action);

/* Replace *field with a copy of value (NULL clears). 0 or -ENOMEM. */
int pol_action_set(char **field, const char *value);

/* The reference's one-line description: "rm('-rf', '/tmp/x')" style for
 * generic actions, "exec rm -rf /tmp/x" / "unlink /path" /
 * "connect 1.2.3.4:443 (api.example.com)" for syscall actions.
 * Returns a malloc'd string the caller owns, or NULL on ENOMEM. */
char *pol_action_describe(const struct pol_action *action);

/* Parse a reference ActionContext JSON object ("function_name", "args",
 * "kwargs", "function_doc", "hints", "environment", "agent_id",
 * "session_id"; unknown keys rejected) into a generic action. Errors fill
 * diag with the byte offset turned into line:column. */
struct pol_diag;
int pol_action_from_json(const char *name, const char *json, size_t len,
			 struct pol_action **ret_action, struct pol_diag *diag);

/* The JSON form of an action (both shapes), for `attesta score --json`
 * and the audit entry's metadata. Caller owns the returned tree. */
struct cJSON *pol_action_to_json(const struct pol_action *action);

#endif
