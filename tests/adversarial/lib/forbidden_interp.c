/*
 * The forbidden program as an ELF interpreter, for the exec attacks
 * (exec_loader.sh, exec_sealed.sh, exec_procmap.sh): a static, libc-free
 * program that, if it ever runs, appends a line to the file named by
 * ADV_MARKER (or ./MARKER.ran) and exits. Built with
 * -static -nostdlib -fno-stack-protector.
 */
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
__attribute__((noreturn, used)) void cstart(long *sp)
{
	long argc = sp[0];
	char **envp = (char **)(sp + argc + 2);
	const char *path = "MARKER.ran";
	for (char **e = envp; *e; e++) {
		const char *s = *e, *k = "ADV_MARKER=";
		while (*k && *s == *k) { s++; k++; }
		if (!*k) { path = s; break; }
	}
	static const char msg[] = "forbidden program ran: as an ELF interpreter\n";
	long fd = sys3(2, (long)path, 02000 | 01 | 0100, 0644);
	if (fd >= 0)
		sys3(1, fd, (long)msg, sizeof msg - 1);
	for (;;)
		sys3(60, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call cstart\n");
