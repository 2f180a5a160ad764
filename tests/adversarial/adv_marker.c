/*
 * The "forbidden program" of the exec escapes. The tests copy it to
 * $WS/forbidden-tool (a name the test policy makes CRITICAL) and other
 * places; if any of its code ever runs it appends one line to the file
 * named by $ADV_MARKER (else ./MARKER.ran), so a test can tell "the
 * forbidden program ran" from "something else ran" no matter how the
 * attacker reached it. Trusts nothing; does nothing else.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("ADV_MARKER");
	char line[256];
	(void)argc;
	if (!path || !*path)
		path = "MARKER.ran";
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return 3;
	int n = snprintf(line, sizeof line, "forbidden program ran: pid=%d argv0=%s\n", getpid(),
			 argv[0] ? argv[0] : "(null)");
	if (n > 0)
		(void)!write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	close(fd);
	return 0;
}
