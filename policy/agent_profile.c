/*
 * The built-in "agent" profile (docs/score.md step 2, docs/profiles.md): a domain profile
 * whose knowledge is the syscall analysis of agent_*.c, plus the
 * dispatch for unlink / rmdir / connect / sendto actions. Addresses and
 * paths come from the sandboxed program via the supervisor; a host name
 * lowers nothing unless the supervisor verified it (docs/SECURITY.md rule 6).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "domain.h"
#include "pol_limits.h"

int pol_agent_profile_new(struct pol_domain_profile **ret_profile)
{
	struct pol_domain_profile *p = pol_domain_new("agent");

	if (!p)
		return -ENOMEM;
	free(p->display_name);
	free(p->description);
	p->display_name = strdup("AI agent syscalls");
	p->description = strdup("Built-in analysis of exec, file removal and network syscalls");
	if (!p->display_name || !p->description) {
		pol_domain_free(p);
		return -ENOMEM;
	}
	p->syscall_analyzer = true;
	p->production_multiplier = 1.5;
	*ret_profile = p;
	return 0;
}

static void agent_analyze_unlink(const struct agent_env *env, const struct pol_action *action,
				 struct agent_result *res)
{
	const char *path = action->path ? action->path
			   : action->args.count ? action->args.items[0] : NULL;
	enum agent_zone zone;
	enum agent_sev sev;

	if (!path)
		return;
	res->commands++;
	zone = agent_path_zone(env, path, NULL, 0);
	sev = agent_effect_sev(E_DELETE, zone);
	if (sev == SEV_SAFE)
		res->safe_commands++;
	else
		agent_add(res, zone >= Z_CREDENTIAL ? "delete_critical_file" : "delete_file", sev,
			  "%s of %s '%s'", action->function_name ? action->function_name : "unlink",
			  agent_zone_name(zone), path);
}

/* A rename removes the source's name and, when the destination exists
 * (or with RENAME_EXCHANGE), the destination's entry; otherwise it
 * creates a name at the destination. Judged as those effects on each
 * path (docs/decode.md); the engine also scores it as the removals. */
static void agent_analyze_rename(const struct agent_env *env, const struct pol_action *action,
				 struct agent_result *res)
{
	const char *paths[2] = {
		action->path ? action->path : action->args.count ? action->args.items[0] : NULL,
		action->dest_path ? action->dest_path
		: action->args.count > 1 ? action->args.items[1] : NULL,
	};
	bool safe = true;

	for (int i = 0; i < 2; i++) {
		bool removes = i == 0 || action->rename_replaces || action->rename_exchange;
		enum agent_zone zone;
		enum agent_sev sev;

		if (!paths[i]) {
			safe = false;
			continue;
		}
		zone = agent_path_zone(env, paths[i], NULL, 0);
		sev = agent_effect_sev(removes ? E_DELETE : E_WRITE, zone);
		if (sev == SEV_SAFE || (sev == SEV_NONE && !removes))
			continue;
		safe = false;
		agent_add(res, zone >= Z_CREDENTIAL ? "delete_critical_file" : "delete_file", sev,
			  "rename %s %s '%s'", removes ? (i ? "replaces" : "moves away") : "into",
			  agent_zone_name(zone), paths[i]);
	}
	if (action->rename_tree_truncated) {
		safe = false;
		agent_add(res, "unjudged_tree", SEV_HIGH,
			  "rename moves a directory with more than %d names (or %d levels, or an "
			  "unreadable one) under '%s': not every name was judged",
			  POL_RENAME_TREE_MAX_ENTRIES, POL_RENAME_TREE_MAX_DEPTH,
			  paths[0] ? paths[0] : "");
	}
	res->commands++;
	if (safe)
		res->safe_commands++;
}

/* AF_UNIX endpoints by glob: control sockets that amount to root. */
static const struct { const char *glob; enum agent_sev sev; const char *what; } unix_sockets[] = {
	{ "/var/run/docker.sock", SEV_CRITICAL, "Docker daemon" },
	{ "/run/docker.sock", SEV_CRITICAL, "Docker daemon" },
	{ "/run/user/*/docker.sock", SEV_CRITICAL, "Docker daemon" },
	{ "/run/containerd/*", SEV_CRITICAL, "containerd" },
	{ "/var/run/containerd/*", SEV_CRITICAL, "containerd" },
	{ "/run/podman/podman.sock", SEV_CRITICAL, "Podman" },
	{ "/run/user/*/podman/podman.sock", SEV_CRITICAL, "Podman" },
	{ "/run/crio/*", SEV_CRITICAL, "CRI-O" },
	{ "/var/run/crio/*", SEV_CRITICAL, "CRI-O" },
	{ "/run/dbus/system_bus_socket", SEV_CRITICAL, "system bus" },
	{ "/var/run/dbus/system_bus_socket", SEV_CRITICAL, "system bus" },
	{ "/run/user/*/bus", SEV_CRITICAL, "session bus" },
	{ "@/tmp/dbus-*", SEV_CRITICAL, "session bus" },
	{ "/run/systemd/private", SEV_CRITICAL, "systemd" },
	{ "/run/user/*/systemd/private", SEV_CRITICAL, "systemd user manager" },
	{ "/var/run/libvirt/*", SEV_CRITICAL, "libvirt" },
	{ "/run/libvirt/*", SEV_CRITICAL, "libvirt" },
	{ "/run/snapd.socket", SEV_CRITICAL, "snapd" },
	{ "/tmp/ssh-*/agent.*", SEV_HIGH, "ssh-agent" },
	{ "/run/user/*/keyring/ssh", SEV_HIGH, "ssh-agent" },
	{ "/run/user/*/gnupg/S.gpg-agent*", SEV_HIGH, "gpg-agent" },
	{ "/run/user/*/gcr/ssh", SEV_HIGH, "ssh-agent" },
	{ "/dev/log", SEV_SAFE, "syslog" },
	{ "/run/systemd/journal/*", SEV_SAFE, "journal" },
	{ "/var/run/nscd/socket", SEV_SAFE, "nscd" },
	{ "/run/nscd/socket", SEV_SAFE, "nscd" },
};

/* IPv4 ranges (network, prefix length) and what connecting there means. */
enum net_kind { NET_LOOPBACK, NET_METADATA, NET_LINK_LOCAL, NET_PRIVATE, NET_SPECIAL };
static const struct { const char *net; unsigned bits; enum net_kind kind; } v4_ranges[] = {
	{ "169.254.169.254", 32, NET_METADATA }, { "169.254.170.2", 32, NET_METADATA },
	{ "100.100.100.200", 32, NET_METADATA }, { "127.0.0.0", 8, NET_LOOPBACK },
	{ "0.0.0.0", 32, NET_LOOPBACK }, { "169.254.0.0", 16, NET_LINK_LOCAL },
	{ "10.0.0.0", 8, NET_PRIVATE }, { "172.16.0.0", 12, NET_PRIVATE },
	{ "192.168.0.0", 16, NET_PRIVATE }, { "100.64.0.0", 10, NET_PRIVATE },
	{ "224.0.0.0", 4, NET_SPECIAL }, { "255.255.255.255", 32, NET_SPECIAL },
};

/* Loopback ports that are root-equivalent control planes. */
static const struct { unsigned port; const char *what; } loopback_control[] = {
	{ 2375, "Docker API" }, { 2376, "Docker API" }, { 10250, "kubelet" }, { 2379, "etcd" },
};

/* Ports where a public peer is ordinary (web, DNS, ssh, git, NTP). */
static const unsigned common_ports[] = { 80, 443, 53, 22, 9418, 853, 123 };

static void analyze_unix(const struct pol_action *action, struct agent_result *res)
{
	const char *path = action->address ? action->address
			   : action->args.count ? action->args.items[0] : "";

	res->commands++;
	for (size_t i = 0; i < sizeof(unix_sockets) / sizeof(unix_sockets[0]); i++) {
		if (fnmatch(unix_sockets[i].glob, path, 0))
			continue;
		if (unix_sockets[i].sev == SEV_SAFE) {
			res->safe_commands++;
			return;
		}
		agent_add(res, "control_socket", unix_sockets[i].sev, "connect to the %s socket '%s'",
			  unix_sockets[i].what, path);
		return;
	}
}

static bool v4_in(uint32_t addr, const char *net, unsigned bits)
{
	struct in_addr n;
	uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;

	if (inet_pton(AF_INET, net, &n) != 1)
		return false;
	return (addr & mask) == (n.s_addr & mask);
}

/* Classify a numeric address; -1 for a public one. */
static int classify_address(const char *address, bool *ok)
{
	struct in6_addr a6;
	struct in_addr a4;

	*ok = true;
	if (inet_pton(AF_INET, address, &a4) != 1) {
		if (inet_pton(AF_INET6, address, &a6) != 1) {
			*ok = false;
			return -1;
		}
		if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
			return NET_LOOPBACK;
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4.s_addr, &a6.s6_addr[12], 4);
		} else {
			static const unsigned char ec2[16] = { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 };

			if (!memcmp(a6.s6_addr, ec2, 16))
				return NET_METADATA;
			if (IN6_IS_ADDR_LINKLOCAL(&a6))
				return NET_LINK_LOCAL;
			if ((a6.s6_addr[0] & 0xfe) == 0xfc)
				return NET_PRIVATE;
			if (IN6_IS_ADDR_MULTICAST(&a6))
				return NET_SPECIAL;
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++)
		if (v4_in(a4.s_addr, v4_ranges[i].net, v4_ranges[i].bits))
			return (int)v4_ranges[i].kind;
	return -1;
}

static void agent_analyze_connect(const struct pol_action *action, struct agent_result *res)
{
	const char *address = action->address;
	bool ok, common = false;
	int kind;

	if (action->family == AF_UNIX || (address && (address[0] == '/' || address[0] == '@'))) {
		analyze_unix(action, res);
		return;
	}
	res->commands++;
	if (!address) {
		agent_add(res, "unknown_peer", SEV_MEDIUM, "connect to an address that was not decoded");
		return;
	}
	kind = classify_address(address, &ok);
	if (!ok) {
		agent_add(res, "unknown_peer", SEV_MEDIUM, "connect to unparsable address '%s'", address);
		return;
	}
	for (size_t i = 0; i < sizeof(common_ports) / sizeof(common_ports[0]); i++)
		if (action->port == common_ports[i])
			common = true;
	switch (kind) {
	case NET_METADATA:
		agent_add(res, "cloud_metadata", SEV_CRITICAL,
			  "connect to the cloud metadata service %s:%u (instance credentials)",
			  address, action->port);
		return;
	case NET_LOOPBACK:
		for (size_t i = 0; i < sizeof(loopback_control) / sizeof(loopback_control[0]); i++) {
			if (action->port == loopback_control[i].port) {
				agent_add(res, "control_port", SEV_CRITICAL, "connect to the %s on %s:%u",
					  loopback_control[i].what, address, action->port);
				return;
			}
		}
		res->safe_commands++;
		return;
	case NET_LINK_LOCAL:
		agent_add(res, "link_local", SEV_HIGH, "connect to link-local %s:%u", address, action->port);
		return;
	case NET_PRIVATE:
	case NET_SPECIAL:
		return;
	default:
		break;
	}
	if (action->host_verified)
		agent_add(res, common ? "public_peer" : "public_unusual_port", common ? SEV_NONE : SEV_MEDIUM,
			  "connect to %s (%s) port %u", action->host ? action->host : "?", address, action->port);
	else if (common && action->host)
		/* The shim named a host but the supervisor's own resolution of
		 * that name does not contain this address: a lie or a race. */
		agent_add(res, "unverified_peer", SEV_MEDIUM, "connect to %s:%u claimed to be %s, not verified",
			  address, action->port, action->host);
	else if (common)
		return; /* no name at all (own resolver, literal IP): base score */
	else
		agent_add(res, "unverified_unusual_port", SEV_SEVERE,
			  "connect to public %s on unusual port %u with no verified host name", address,
			  action->port);
}

void agent_analyze(const struct agent_env *env, const struct pol_action *action,
		   struct agent_result *res)
{
	const char *argv[POL_AGENT_MAX_ARGS + 1];
	size_t n = 0;

	switch (action->action_class) {
	case POL_ACTION_EXEC:
		if (action->exec_anonymous)
			agent_add(res, "anonymous_exec", SEV_SEVERE,
				  "executes a memfd or deleted file: what runs cannot be inspected on disk");
		argv[n++] = action->function_name ? action->function_name : "";
		for (size_t i = 0; i < action->args.count && n <= POL_AGENT_MAX_ARGS; i++)
			argv[n++] = action->args.items[i];
		if (action->args.count >= POL_AGENT_MAX_ARGS)
			agent_add(res, "too_complex", SEV_HIGH, "argv longer than the analysis follows");
		agent_analyze_argv(env, argv, n, 0, false, res);
		break;
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR:
		agent_analyze_unlink(env, action, res);
		break;
	case POL_ACTION_RENAME:
		agent_analyze_rename(env, action, res);
		break;
	case POL_ACTION_CONNECT:
	case POL_ACTION_SENDTO:
		agent_analyze_connect(action, res);
		break;
	case POL_ACTION_GENERIC:
	case POL_ACTION_SOCKET: /* decided by gate.allow_socket_families, not scored */
		break;
	}
}
