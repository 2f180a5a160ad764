#!/bin/sh
# The end-to-end workloads of `make bench` (docs/BENCHMARKS.md), each as a
# "prepare" step (untimed, run natively) and a "run" step (timed, run
# natively and under attesta-run by scripts/bench/run.py):
#
#   workloads.sh prepare-cproj DIR   small C project (24 files), cleaned
#   workloads.sh run-cproj DIR       make -s -j2 in it
#   workloads.sh prepare-execloop    nothing
#   workloads.sh run-execloop        a dash loop of 2,000 /bin/true execs
#   workloads.sh prepare-git DIR     DIR/repo: a copy of 1,000 files, no .git
#   workloads.sh run-git DIR         init, add, commit, status, branch,
#                                    git rm of 100 files, commit, log, checkout
#   workloads.sh prepare-rmtree DIR  DIR/tree: 10,000 files in 100 dirs
#   workloads.sh run-rmtree DIR      rm -rf DIR/tree
#
# Trusts its caller (the benchmark); DIR is a scratch directory.
set -eu
cmd=$1
dir=${2:-}

case $cmd in
prepare-cproj)
	if [ ! -f "$dir/Makefile" ]; then
		mkdir -p "$dir"
		i=0
		while [ $i -lt 24 ]; do
			cat >"$dir/m$i.c" <<EOF
#include <stdio.h>
#include <string.h>
struct rec$i { int id; char name[32]; double w; };
static int cmp$i(const struct rec$i *a, const struct rec$i *b) { return a->id - b->id; }
int f$i(int x)
{
	struct rec$i r[8];
	int s = 0;
	for (int k = 0; k < 8; k++) {
		r[k].id = x * k + $i;
		snprintf(r[k].name, sizeof r[k].name, "r%d", k);
		r[k].w = k * 0.5;
		s += cmp$i(&r[k], &r[0]) + (int)strlen(r[k].name);
	}
	return s;
}
EOF
			i=$((i + 1))
		done
		{
			echo '#include <stdio.h>'
			i=0; while [ $i -lt 24 ]; do echo "int f$i(int);"; i=$((i + 1)); done
			echo 'int main(void) { int s = 0;'
			i=0; while [ $i -lt 24 ]; do echo "s += f$i(s & 7);"; i=$((i + 1)); done
			printf '%s\n' 'printf("%d\n", s); return 0; }'
		} >"$dir/main.c"
		cat >"$dir/Makefile" <<'EOF'
SRCS := $(wildcard *.c)
OBJS := $(SRCS:.c=.o)
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c
	$(CC) -O1 -c -o $@ $<
clean:
	rm -f prog $(OBJS)
EOF
	fi
	rm -f "$dir"/*.o "$dir/prog"
	;;
run-cproj)
	make -s -j2 -C "$dir" >/dev/null
	"$dir/prog" >/dev/null
	;;
prepare-execloop) ;;
run-execloop)
	# dash runs /bin/true as a program (fork + execve) every time
	dash -c 'i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done'
	;;
prepare-git)
	if [ ! -d "$dir/src" ]; then
		mkdir -p "$dir/src"
		d=0
		while [ $d -lt 10 ]; do
			mkdir -p "$dir/src/d$d"
			f=0
			while [ $f -lt 100 ]; do
				echo "file $d/$f" >"$dir/src/d$d/f$f.txt"
				f=$((f + 1))
			done
			d=$((d + 1))
		done
	fi
	rm -rf "$dir/repo"
	cp -a "$dir/src" "$dir/repo"
	;;
run-git)
	cd "$dir/repo"
	export GIT_CONFIG_NOSYSTEM=1 HOME="$dir" GIT_AUTHOR_NAME=bench \
		GIT_AUTHOR_EMAIL=bench@example.invalid GIT_COMMITTER_NAME=bench \
		GIT_COMMITTER_EMAIL=bench@example.invalid
	git init -q -b main .
	git add -A
	git commit -qm init
	git status --porcelain >/dev/null
	git checkout -qb topic
	git rm -rq d0
	git commit -qm "remove d0"
	git log --oneline >/dev/null
	git checkout -q main
	;;
prepare-rmtree)
	rm -rf "$dir/tree"
	python3 - "$dir/tree" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(100):
    p = os.path.join(root, "d%d" % d)
    os.makedirs(p)
    for f in range(100):
        with open(os.path.join(p, "f%d" % f), "w") as fh:
            fh.write("x")
EOF
	;;
run-rmtree)
	rm -rf "$dir/tree"
	;;
*)
	echo "workloads.sh: unknown command '$cmd'" >&2
	exit 2
	;;
esac
