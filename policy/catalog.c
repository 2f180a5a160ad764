/*
 * The command catalog (see catalog.h): one line per program. The doc
 * sentence becomes function_doc, which the reference docstring factor
 * reads: "irreversible", "destructive", "permanent", "dangerous" raise the
 * base score, so only programs that really lose data use those words, and
 * harmless ones avoid them (and avoid "careful", "warning", "caution").
 * Static, read-only data.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "catalog.h"

#define RO POL_CAT_READONLY
#define DE POL_CAT_DESTRUCTIVE
#define NET POL_CAT_NETWORK
#define SH POL_CAT_SHELL
#define IN POL_CAT_INTERPRETER
#define WR POL_CAT_WRAPPER
#define PR POL_CAT_PRIVILEGED
#define FE POL_CAT_FETCHER

static const struct pol_catalog_entry catalog[] = {
	/* reading and inspecting */
	{ "ls", "list directory contents", RO },
	{ "cat", "print file contents", RO },
	{ "head", "print the first lines of files", RO },
	{ "tail", "print the last lines of files", RO },
	{ "less", "page through a file", RO },
	{ "more", "page through a file", RO },
	{ "grep", "search files for lines matching a pattern", RO },
	{ "egrep", "search files for lines matching a pattern", RO },
	{ "rg", "ripgrep: search files for a pattern", RO },
	{ "wc", "count lines, words and bytes", RO },
	{ "stat", "show file status", RO },
	{ "file", "guess file types", RO },
	{ "du", "estimate disk usage", RO },
	{ "df", "report file system space usage", RO },
	{ "tree", "list a directory tree", RO },
	{ "pwd", "print the working directory", RO },
	{ "echo", "print its arguments", RO },
	{ "printf", "format and print its arguments", RO },
	{ "true", "do nothing, successfully", RO },
	{ "false", "do nothing, unsuccessfully", RO },
	{ "test", "evaluate a condition", RO },
	{ "[", "evaluate a condition", RO },
	{ "which", "locate a program in PATH", RO },
	{ "whoami", "print the user name", RO },
	{ "id", "print user and group ids", RO },
	{ "uname", "print system information", RO },
	{ "hostname", "print the host name", RO },
	{ "date", "print the date and time", RO },
	{ "ps", "list processes", RO },
	{ "diff", "compare files line by line", RO },
	{ "cmp", "compare files byte by byte", RO },
	{ "sort", "sort lines of text", RO },
	{ "uniq", "report or omit repeated lines", RO },
	{ "cut", "select fields from lines", RO },
	{ "tr", "translate characters", RO },
	{ "basename", "strip directory from a path", RO },
	{ "dirname", "strip the last component from a path", RO },
	{ "realpath", "print the resolved absolute path", RO },
	{ "readlink", "print the target of a symbolic link", RO },
	{ "sha256sum", "compute SHA-256 checksums", RO },
	{ "md5sum", "compute MD5 checksums", RO },
	{ "jq", "filter JSON", RO },
	{ "xxd", "hex dump a file", RO },
	{ "od", "dump a file in octal and other formats", RO },
	{ "env", "print the environment or run a command in a modified one", WR },
	{ "printenv", "print environment variables", RO },
	{ "sleep", "wait for a while", RO },
	{ "seq", "print a sequence of numbers", RO },
	{ "find", "search for files in a directory hierarchy; -delete and -exec can remove what it finds", RO },
	/* building and running code */
	{ "make", "build targets from a Makefile", 0 },
	{ "cc", "C compiler", 0 },
	{ "gcc", "GNU C compiler", 0 },
	{ "clang", "C compiler", 0 },
	{ "ld", "link object files", 0 },
	{ "cargo", "Rust package manager and build tool", NET },
	{ "go", "Go build tool", NET },
	{ "npm", "Node.js package manager", NET },
	{ "npx", "run a Node.js package binary", NET },
	{ "node", "JavaScript interpreter", IN },
	{ "python", "Python interpreter", IN },
	{ "python3", "Python interpreter", IN },
	{ "pip", "Python package installer", NET },
	{ "pip3", "Python package installer", NET },
	{ "perl", "Perl interpreter", IN },
	{ "ruby", "Ruby interpreter", IN },
	{ "php", "PHP interpreter", IN },
	/* shells and wrappers */
	{ "sh", "command interpreter: runs the commands it is given", SH },
	{ "bash", "command interpreter: runs the commands it is given", SH },
	{ "dash", "command interpreter: runs the commands it is given", SH },
	{ "zsh", "command interpreter: runs the commands it is given", SH },
	{ "ksh", "command interpreter: runs the commands it is given", SH },
	{ "fish", "command interpreter: runs the commands it is given", SH },
	{ "busybox", "multi-call binary: runs the applet named first", WR },
	{ "sudo", "run a command as another user, usually root", WR | PR },
	{ "doas", "run a command as another user, usually root", WR | PR },
	{ "su", "run a shell as another user", PR },
	{ "pkexec", "run a command as another user", WR | PR },
	{ "xargs", "build command lines from standard input and run them", WR },
	{ "nice", "run a command with changed scheduling priority", WR },
	{ "ionice", "run a command with changed I/O priority", WR },
	{ "nohup", "run a command immune to hangups", WR },
	{ "timeout", "run a command with a time limit", WR },
	{ "stdbuf", "run a command with changed buffering", WR },
	{ "time", "run a command and time it", WR },
	{ "setsid", "run a command in a new session", WR },
	{ "chroot", "run a command with a different root directory", WR | PR },
	{ "watch", "run a command repeatedly", WR },
	{ "flock", "run a command holding a file lock", WR },
	{ "command", "run a command bypassing shell functions", WR },
	{ "exec", "replace the shell with a command", WR },
	/* changing files */
	{ "rm", "remove files or directories; deletion is irreversible", DE },
	{ "rmdir", "remove empty directories", DE },
	{ "unlink", "remove one file; deletion is irreversible", DE },
	{ "shred", "overwrite files to make their contents unrecoverable; irreversible and destructive", DE },
	{ "truncate", "shrink or extend files; data cut off is lost irreversibly", DE },
	{ "mv", "move or rename files; may overwrite the destination", 0 },
	{ "cp", "copy files; may overwrite the destination", 0 },
	{ "install", "copy files and set attributes", 0 },
	{ "ln", "make links between files", 0 },
	{ "mkdir", "make directories", 0 },
	{ "touch", "change file timestamps or create empty files", 0 },
	{ "tee", "copy standard input to files", 0 },
	{ "sed", "stream editor; -i edits files in place", 0 },
	{ "awk", "pattern scanning and text processing language", 0 },
	{ "chmod", "change file permissions", 0 },
	{ "chown", "change file owner and group", PR },
	{ "chgrp", "change file group", 0 },
	{ "tar", "archive files", 0 },
	{ "zip", "package and compress files", 0 },
	{ "unzip", "extract compressed files", 0 },
	{ "rsync", "synchronize files, locally or remotely; --delete removes files at the destination", NET },
	{ "dd", "convert and copy raw data, to files or devices", DE },
	{ "mkfs", "make a file system; destroys all data on the device, irreversible", DE },
	{ "mkfs.*", "make a file system; destroys all data on the device, irreversible", DE },
	{ "mke2fs", "make a file system; destroys all data on the device, irreversible", DE },
	{ "mkswap", "set up a swap area; destroys data on the device, irreversible", DE },
	{ "wipefs", "erase file system signatures; destructive", DE },
	{ "fdisk", "edit disk partition tables; destructive when writing", DE },
	{ "sfdisk", "edit disk partition tables; destructive when writing", DE },
	{ "parted", "edit disk partitions; destructive when writing", DE },
	{ "cryptsetup", "manage encrypted volumes; formatting is destructive", DE },
	/* version control and deployment */
	{ "git", "version control: record, inspect and share changes", NET },
	{ "gh", "GitHub command-line client", NET },
	{ "kubectl", "control Kubernetes clusters", NET },
	{ "helm", "Kubernetes package manager", NET },
	{ "terraform", "provision infrastructure from configuration; destroy is irreversible", NET },
	{ "docker", "manage containers and images", 0 },
	{ "podman", "manage containers and images", 0 },
	{ "aws", "Amazon Web Services command-line client", NET },
	{ "gcloud", "Google Cloud command-line client", NET },
	{ "az", "Azure command-line client", NET },
	/* databases */
	{ "psql", "PostgreSQL client: runs SQL", NET },
	{ "mysql", "MySQL client: runs SQL", NET },
	{ "mariadb", "MariaDB client: runs SQL", NET },
	{ "sqlite3", "SQLite client: runs SQL", 0 },
	{ "redis-cli", "Redis client", NET },
	{ "mongosh", "MongoDB shell", NET },
	{ "dropdb", "remove a PostgreSQL database; irreversible", DE | NET },
	/* network */
	{ "curl", "transfer data from or to a server", NET | FE },
	{ "wget", "download files from the web", NET | FE },
	{ "ssh", "log in to and run commands on a remote host", NET },
	{ "scp", "copy files to or from a remote host", NET },
	{ "nc", "netcat: read and write network connections", NET },
	{ "ncat", "read and write network connections", NET },
	{ "socat", "relay data between two endpoints", NET },
	{ "ping", "send ICMP echo requests", NET | RO },
	{ "dig", "query DNS", NET | RO },
	/* system administration */
	{ "systemctl", "control systemd services and the system state", 0 },
	{ "service", "run a System V init script", 0 },
	{ "shutdown", "power off or reboot the machine", DE },
	{ "reboot", "reboot the machine", DE },
	{ "poweroff", "power off the machine", DE },
	{ "halt", "halt the machine", DE },
	{ "kill", "send a signal to processes", 0 },
	{ "pkill", "signal processes by name", 0 },
	{ "killall", "signal processes by name", 0 },
	{ "crontab", "edit scheduled jobs; -r removes them all", 0 },
	{ "iptables", "configure the packet filter", 0 },
	{ "nft", "configure the packet filter", 0 },
	{ "ufw", "configure the firewall", 0 },
	{ "mount", "mount a file system", 0 },
	{ "umount", "unmount a file system", 0 },
	{ "useradd", "create a user account", 0 },
	{ "userdel", "delete a user account", DE },
	{ "usermod", "modify a user account", 0 },
	{ "passwd", "change a password", 0 },
	{ "apt", "Debian package manager", NET },
	{ "apt-get", "Debian package manager", NET },
	{ "dpkg", "Debian package tool", 0 },
	{ "dnf", "Fedora package manager", NET },
	{ "yum", "package manager", NET },
	{ "modprobe", "add or remove kernel modules", 0 },
	{ "setenforce", "change the SELinux mode", 0 },
};

static bool entry_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, name, n - 1) && name[n - 1] != '\0';
	return !strcmp(pattern, name);
}

static const struct pol_catalog_entry *lookup_exact(const char *name)
{
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (entry_matches(catalog[i].name, name))
			return &catalog[i];
	return NULL;
}

const struct pol_catalog_entry *pol_catalog_lookup(const char *name)
{
	const struct pol_catalog_entry *e;
	char folded[64];
	size_t n;

	if (!name)
		return NULL;
	e = lookup_exact(name);
	if (e)
		return e;
	/* python3.11 -> python3, pip3.12 -> pip3: strip a trailing version. */
	n = strnlen(name, sizeof(folded));
	if (n >= sizeof(folded))
		return NULL;
	memcpy(folded, name, n + 1);
	while (n && (isdigit((unsigned char)folded[n - 1]) || folded[n - 1] == '.'))
		folded[--n] = '\0';
	if (!n)
		return NULL;
	e = lookup_exact(folded);
	if (e)
		return e;
	/* python3.11 folds to "python": try with one digit kept. */
	if (isdigit((unsigned char)name[n])) {
		folded[n] = name[n];
		folded[n + 1] = '\0';
		return lookup_exact(folded);
	}
	return NULL;
}
