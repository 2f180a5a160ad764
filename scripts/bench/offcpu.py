#!/usr/bin/env python3
"""Where a gated workload waits (docs/BENCHMARKS.md, "Session 6: where the
gated workloads wait"). Reads `perf script` output of sched_switch and
sched_wakeup events with kernel stacks:

  perf record -a -e sched:sched_switch -e sched:sched_wakeup -g -o F -- \
      build/attesta-run -c CFG -- WORKLOAD
  perf script -i F -F comm,tid,time,event,trace,ip,sym > F.txt
  scripts/bench/offcpu.py F.txt LOOP_TID,WORKER_TID,...  [DEPTH]

The supervisor's thread ids: `ls /proc/$(pgrep -P WATCHER)/task` while it
runs (the loop thread is the lowest). Prints (1) each supervisor thread's
off-CPU time by state and stack, (2) the agent's waits for the gate (a
task blocked in seccomp_do_user_notification until a supervisor thread
wakes it, or stopped in ptrace_stop) by system call and answering thread,
and the scheduling latency after the answer, (3) what the answering
thread was doing off-CPU meanwhile (sleeps in NOTIF_RECV and epoll_wait
left out). Other processes' tasks are the agent's only if a supervisor
thread woke them.
"""
import collections
import re
import sys

HDR = re.compile(r'^\s*(\S.*?)\s+(-?\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)$')
SW = re.compile(r'prev_comm=(.*?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> '
                r'next_comm=(.*?) next_pid=(\d+)')
WK = re.compile(r'comm=(.*?) pid=(\d+) ')
IDLE = ('recv_wait_event', 'do_epoll_wait')


def events(path):
    cur, stack = None, []
    for line in open(path, errors='replace'):
        m = HDR.match(line)
        if m and not line.startswith('\t'):
            if cur:
                yield cur + (stack,)
            cur = (m.group(1), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5))
            stack = []
        elif line.strip():
            p = line.strip().split(None, 1)
            stack.append(p[1] if len(p) > 1 else p[0])
    if cur:
        yield cur + (stack,)


def main():
    path, sup = sys.argv[1], [int(x) for x in sys.argv[2].split(',')]
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    sups, loop = set(sup), min(sup)
    off, ints = {}, collections.defaultdict(list)
    agg = collections.defaultdict(lambda: [0.0, 0, 0.0])
    agent, waits = {}, []
    for comm, tid, t, name, trace, stk in events(path):
        if name.endswith('sched_switch'):
            m = SW.search(trace)
            if not m:
                continue
            pp, st, np_ = int(m.group(2)), m.group(3), int(m.group(5))
            if pp in sups:
                off[pp] = (t, st, tuple(stk[2:2 + depth]))
            if np_ in off:
                t0, s0, k = off.pop(np_)
                ints[np_].append((t0, t, s0, k))
                a = agg[(np_, s0, k)]
                a[0] += t - t0
                a[1] += 1
                a[2] = max(a[2], t - t0)
            if pp not in sups:
                if any('seccomp_do_user_notification' in s for s in stk[:6]):
                    sc = next((s for s in stk[6:] if not s.startswith(
                        ('entry_', 'do_syscall', 'syscall_trace', '__seccomp'))), '?')
                    agent[pp] = [t, None, None, sc]
                elif st == 't' and any('ptrace_stop' in s for s in stk[:3]):
                    agent[pp] = [t, None, None, 'exec stop (ptrace_stop)']
            if np_ in agent and agent[np_][1] is not None:
                waits.append(agent.pop(np_) + [t])
        elif name.endswith('sched_wakeup'):
            m = WK.search(trace)
            target = int(m.group(2)) if m else -1
            if target in agent and tid in sups and agent[target][1] is None:
                agent[target][1], agent[target][2] = t, tid
    print('== supervisor threads off CPU: ms, count, longest, tid, state, stack')
    for (tid, st, k), (d, n, mx) in sorted(agg.items(), key=lambda x: -x[1][0])[:30]:
        print(f'{d * 1e3:10.1f} ms n={n:6d} max={mx * 1e3:8.2f} ms  {tid} {st}  '
              + ' < '.join(k))
    tot = collections.defaultdict(lambda: [0.0, 0])
    over = collections.defaultdict(float)
    for a0, e, who, sc, run in waits:
        key = (sc, 'loop' if who == loop else 'decision thread')
        tot[key][0] += e - a0
        tot[key][1] += 1
        tot[('(scheduling latency after the answer)', '')][0] += run - e
        tot[('(scheduling latency after the answer)', '')][1] += 1
        for t0, t1, s, k in ints[who]:
            if t1 < a0 or t0 > e or (s == 'S' and any(i in f for i in IDLE for f in k[:3])):
                continue
            over[(s, k[:6])] += max(0.0, min(t1, e) - max(t0, a0))
    print('== the agent waiting for the gate: ms, count, mean, call, answered by')
    for (sc, who), (d, n) in sorted(tot.items(), key=lambda x: -x[1][0]):
        print(f'{d * 1e3:10.1f} ms n={n:6d} mean={d / n * 1e6:8.1f} us  {sc} {who}')
    print('== the answering thread off CPU during those waits')
    for (s, k), d in sorted(over.items(), key=lambda x: -x[1])[:20]:
        print(f'{d * 1e3:10.1f} ms {s} ' + ' < '.join(k))


if __name__ == '__main__':
    main()
