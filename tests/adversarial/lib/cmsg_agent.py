# The agent of tests/adversarial/cmsg.sh: sendmsg with control data.
# Each case prints "RESULT CASE rc=N errno=E [detail]" (rc 0: the call
# succeeded and, for the forwarded kinds, the receiver saw the effect).
import ctypes, os, socket, struct, sys

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)

def result(case, rc, err=0, detail=""):
    print(f"RESULT {case} rc={rc} errno={err} {detail}".rstrip(), flush=True)

def attempt(case, fn):
    try:
        detail = fn()
        result(case, 0, 0, detail or "")
    except OSError as e:
        result(case, -1, e.errno or 0, str(e))

def scm_rights():
    # an fd passed over a socketpair is the same open file
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    path = os.path.join(os.getcwd(), "passed.txt")
    with open(path, "w") as f:
        f.write("same file\n")
    fd = os.open(path, os.O_RDONLY)
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])
    msg, anc, flags, _ = b.recvmsg(1, socket.CMSG_SPACE(4))
    got = [struct.unpack("i", d[:4])[0] for (l, t, d) in anc if l == socket.SOL_SOCKET and t == socket.SCM_RIGHTS]
    if len(got) != 1:
        raise OSError(0, f"no descriptor received ({anc!r})")
    s1, s2 = os.fstat(fd), os.fstat(got[0])
    if (s1.st_dev, s1.st_ino) != (s2.st_dev, s2.st_ino):
        raise OSError(0, "received a different file")
    data = os.read(got[0], 100)
    if data != b"same file\n":
        raise OSError(0, f"read {data!r}")
    # same open file description: the offset moved for both
    if os.lseek(fd, 0, os.SEEK_CUR) != len(data):
        raise OSError(0, "not the same open file description")
    return "received the same file"

def scm_rights_ebadf():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", 987))])

def scm_credentials():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    cred = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)])

def udp4_pair(opt):
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    r.setsockopt(socket.IPPROTO_IP, opt, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return r, s

def ip_tos():
    r, s = udp4_pair(socket.IP_RECVTOS)
    s.sendmsg([b"tos"], [(socket.IPPROTO_IP, socket.IP_TOS, bytes([0x28]))], 0, r.getsockname())
    _, anc, _, _ = r.recvmsg(16, 64)
    tos = [d[0] for (l, t, d) in anc if l == socket.IPPROTO_IP and t == socket.IP_TOS]
    if tos != [0x28]:
        raise OSError(0, f"TOS not set: {anc!r}")
    return "tos 0x28 received"

def ip_ttl():
    r, s = udp4_pair(IP_RECVTTL)
    s.sendmsg([b"ttl"], [(socket.IPPROTO_IP, socket.IP_TTL, struct.pack("i", 9))], 0, r.getsockname())
    _, anc, _, _ = r.recvmsg(16, 64)
    ttl = [struct.unpack("i", d[:4])[0] for (l, t, d) in anc if l == socket.IPPROTO_IP and t == socket.IP_TTL]
    if ttl != [9]:
        raise OSError(0, f"TTL not set: {anc!r}")
    return "ttl 9 received"

def ipv6_hoplimit():
    r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    r.bind(("::1", 0))
    r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendmsg([b"hop"], [(socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("i", 7)),
                         (socket.IPPROTO_IPV6, socket.IPV6_TCLASS, struct.pack("i", 0x20))],
              0, r.getsockname()[:2])
    _, anc, _, _ = r.recvmsg(16, 128)
    got = {t: struct.unpack("i", d[:4])[0] for (l, t, d) in anc if l == socket.IPPROTO_IPV6}
    if got.get(socket.IPV6_HOPLIMIT) != 7 or got.get(socket.IPV6_TCLASS) != 0x20:
        raise OSError(0, f"hop limit / traffic class not set: {anc!r}")
    return "hoplimit 7 tclass 0x20 received"

def ip_pktinfo():
    # IP_PKTINFO with ipi_spec_dst chooses the source address (127.0.0.3)
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    r.settimeout(2)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    info = struct.pack("i4s4s", 0, socket.inet_aton("127.0.0.3"), socket.inet_aton("0.0.0.0"))
    s.sendmsg([b"src"], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, r.getsockname())
    _, peer = r.recvfrom(16)
    return f"from {peer[0]}"

def forbidden_tos(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendmsg([b"forbidden"], [(socket.IPPROTO_IP, socket.IP_TOS, bytes([0x10]))], 0, (host, int(port)))

class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]

libc = ctypes.CDLL(None, use_errno=True)

def raw_msg(data, ctl, name=None):
    """A msghdr over ctypes buffers: Python's sendmsg builds well-formed
    cmsgs only, and copies them (no buffer to change under the call)."""
    iov = iovec(ctypes.cast(data, ctypes.c_void_p), len(data) - 1)
    m = msghdr(None, 0, ctypes.pointer(iov), 1, ctypes.cast(ctl, ctypes.c_void_p), len(ctl) - 1, 0)
    if name is not None:
        m.name = ctypes.cast(name, ctypes.c_void_p)
        m.namelen = len(name) - 1
    return m, iov

def malformed():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    # cmsg_len larger than the control buffer: CMSG_OK fails, EINVAL
    data = ctypes.create_string_buffer(b"x")
    ctl = ctypes.create_string_buffer(struct.pack("QiiI", 64, socket.SOL_SOCKET, socket.SCM_RIGHTS, 0))
    m, _ = raw_msg(data, ctl)
    if libc.sendmsg(a.fileno(), ctypes.byref(m), 0) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]

def sendmmsg(fd, msgs):
    v = (mmsghdr * len(msgs))()
    for i, m in enumerate(msgs):
        v[i].hdr = m
    n = libc.sendmmsg(fd, v, len(msgs), 0)
    if n < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return n, [v[i].len for i in range(len(msgs))]

def mmsg_rights():
    """sendmmsg: two datagrams, each passing a descriptor."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    keep, msgs = [], []
    for i in range(2):
        path = os.path.join(os.getcwd(), f"mmsg{i}.txt")
        with open(path, "w") as f:
            f.write(f"file {i}\n")
        fd = os.open(path, os.O_RDONLY)
        data = ctypes.create_string_buffer(b"m%d" % i)
        ctl = ctypes.create_string_buffer(struct.pack("Qii", socket.CMSG_LEN(4), socket.SOL_SOCKET,
                                                      socket.SCM_RIGHTS) + struct.pack("i", fd) + b"\0" * 4, 24)
        m, iov = raw_msg(data, ctl)
        m.controllen = 24
        keep += [data, ctl, iov]
        msgs.append(m)
    n, lens = sendmmsg(a.fileno(), msgs)
    if n != 2 or lens != [2, 2]:
        raise OSError(0, f"sent {n} {lens}")
    for i in range(2):
        _, anc, _, _ = b.recvmsg(16, socket.CMSG_SPACE(4))
        fd = struct.unpack("i", anc[0][2][:4])[0]
        got = os.read(fd, 100)
        if got != f"file {i}\n".encode():
            raise OSError(0, f"message {i}: read {got!r}")
    return "2 messages, each descriptor the same file"

def mmsg_pktinfo():
    """sendmmsg: IP_TOS on the first message, IP_PKTINFO on the second."""
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(r.getsockname())
    tos = struct.pack("QiiB", 17, socket.IPPROTO_IP, socket.IP_TOS, 0x10).ljust(24, b"\0")
    pkt = struct.pack("Qii", 28, socket.IPPROTO_IP, IP_PKTINFO) + \
        struct.pack("i4s4s", 0, socket.inet_aton("127.0.0.3"), socket.inet_aton("0.0.0.0")) + b"\0" * 4
    keep, msgs = [], []
    for c in (tos, pkt):
        data = ctypes.create_string_buffer(b"mm")
        ctl = ctypes.create_string_buffer(c, len(c))
        m, iov = raw_msg(data, ctl)
        m.controllen = len(c)
        keep += [data, ctl, iov]
        msgs.append(m)
    n, _ = sendmmsg(s.fileno(), msgs)
    return f"sent {n}"

def race_pktinfo(attempts, seconds):
    """Another thread flips the control data between IP_TOS (forwarded)
    and IP_PKTINFO choosing source 127.0.0.3 (refused) while sendmsg
    runs; count datagrams that arrive from 127.0.0.3."""
    import threading, time
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    r.setblocking(False)
    port = r.getsockname()[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tos = struct.pack("QiiB", 17, socket.IPPROTO_IP, socket.IP_TOS, 0x10).ljust(32, b"\0")
    pkt = struct.pack("Qii", 28, socket.IPPROTO_IP, IP_PKTINFO) + \
        struct.pack("i4s4s", 0, socket.inet_aton("127.0.0.3"), socket.inet_aton("0.0.0.0")) + b"\0" * 4
    ctl = ctypes.create_string_buffer(tos, 32)
    name = ctypes.create_string_buffer(struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) +
                                       socket.inet_aton("127.0.0.1") + b"\0" * 8, 16)
    data = ctypes.create_string_buffer(b"race")
    m, _iov = raw_msg(data, ctl, name)
    m.controllen = 32
    m.namelen = 16
    stop = False
    started = threading.Event()
    def flip():
        started.set()
        while not stop:
            ctypes.memmove(ctl, pkt, 32)
            ctypes.memmove(ctl, tos, 32)
    sys.setswitchinterval(1e-5)
    t = threading.Thread(target=flip)
    t.start()
    started.wait()
    sent = refused = spoofed = 0
    end = time.time() + seconds
    def drain():
        nonlocal spoofed
        while True:
            try:
                _, peer = r.recvfrom(16)
            except BlockingIOError:
                return
            if peer[0] == "127.0.0.3":
                spoofed += 1
    # at least `attempts`, and on until one arrives from 127.0.0.3 or the
    # time is up (so a short native control still sees the effect)
    i = 0
    while time.time() < end and (i < attempts or spoofed == 0):
        i += 1
        if libc.sendmsg(s.fileno(), ctypes.byref(m), 0) >= 0:
            sent += 1
        else:
            refused += 1
        if i % 64 == 0:
            drain()
    stop = True
    t.join()
    time.sleep(0.1)
    drain()
    return f"spoofed={spoofed} sent={sent} refused={refused}"

CASES = {
    "scm_rights": scm_rights, "scm_rights_ebadf": scm_rights_ebadf, "ucred": scm_credentials,
    "ip_tos": ip_tos, "ip_ttl": ip_ttl, "ipv6_hoplimit": ipv6_hoplimit, "ip_pktinfo": ip_pktinfo,
    "malformed": malformed, "mmsg_rights": mmsg_rights, "mmsg_pktinfo": mmsg_pktinfo,
}
case = sys.argv[1]
if case == "forbidden_tos":
    attempt(case, lambda: forbidden_tos(sys.argv[2], sys.argv[3]))
elif case == "race_pktinfo":
    attempt(case, lambda: race_pktinfo(int(sys.argv[2]), float(sys.argv[3])))
elif case == "forbidden_pktinfo":
    def f():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        info = struct.pack("i4s4s", 0, socket.inet_aton("127.0.0.3"), socket.inet_aton("0.0.0.0"))
        s.sendmsg([b"forbidden"], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, (sys.argv[2], int(sys.argv[3])))
    attempt(case, f)
else:
    attempt(case, CASES[case])
