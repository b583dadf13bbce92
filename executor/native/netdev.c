/* linux.netDevices: move a network interface of the runtime's network
 * namespace into the container's, in the parent stage (P, while C waits).
 * Over rtnetlink, as ip(8) would:
 *   - look the interface up by name in the runtime's namespace,
 *   - note its permanent addresses of global scope (the kernel drops every
 *     address when an interface changes namespace; runtime-spec says these
 *     are kept),
 *   - RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME: moved and renamed in
 *     one step, so the new name is checked in the container's namespace by
 *     the kernel (EEXIST) and never clashes in the host's,
 *   - in the container's namespace: put the addresses back, bring it up.
 * A netlink socket belongs to the network namespace it was made in, so the
 * container-side socket is made after a setns there and P returns at once.
 * Nothing is moved back on delete: when the namespace goes, the kernel
 * returns physical interfaces to the host and destroys virtual ones. */
#include "planc.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The runtime's network namespace, when P joined another before the clone (ns.join). */
static int runtime_netns = -1;

void netdev_note_runtime_ns(void)
{
	if (runtime_netns < 0)
		runtime_netns = proc_link("self/ns", "net", O_RDONLY);
}

struct req {
	struct nlmsghdr h;
	char body[1024];
};

static void *tail(struct req *r)
{
	return (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);
}

static void begin(struct req *r, int type, int flags, const void *hdr, size_t n)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_len = NLMSG_LENGTH(n);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	memcpy(NLMSG_DATA(&r->h), hdr, n);
}

static void attr(struct req *r, int type, const void *data, size_t n)
{
	struct rtattr *a = tail(r);
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(n);
	memcpy(RTA_DATA(a), data, n);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_socket(void)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* A netlink socket in the network namespace nsfd; P stays where it is. */
static int socket_in(int nsfd)
{
	int self = proc_link("self/ns", "net", O_RDONLY);
	if (self < 0)
		return -1;
	if (setns(nsfd, CLONE_NEWNET)) {
		int e = errno;
		close(self);
		errno = e;
		return -1;
	}
	int s = nl_socket(), e = errno;
	if (setns(self, CLONE_NEWNET)) {
		/* P is not where it belongs and must not go on in the wrong namespace. */
		say("cannot return to the runtime's network namespace: %s", strerror(errno));
		_exit(2);
	}
	close(self);
	errno = e;
	return s;
}

static unsigned seq;

/* Sends r and calls each(reply) for every reply message until the ACK, the
 * end of a dump or an error; returns 0 or -1 with errno the kernel's. */
static int talk(int s, struct req *r, int (*each)(struct nlmsghdr *, void *), void *arg)
{
	char buf[16384];
	r->h.nlmsg_seq = ++seq;
	if (send(s, &r->h, r->h.nlmsg_len, 0) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(s, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno = n ? errno : EPROTO, -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				return err ? (errno = -err, -1) : 0;
			}
			if (each && each(h, arg))
				return -1;
		}
	}
}

struct link {
	int index;
	char name[IFNAMSIZ];
};

static int on_link(struct nlmsghdr *h, void *arg)
{
	struct link *l = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = IFLA_PAYLOAD(h);
	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	l->index = ifi->ifi_index;
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			snprintf(l->name, sizeof l->name, "%.*s", (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
	return 0;
}

/* The interface called name, or (name NULL) with this index. */
static int get_link(int s, const char *name, int index, struct link *out)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	struct req r;
	begin(&r, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof ifi);
	if (name)
		attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	*out = (struct link){0};
	return talk(s, &r, on_link, out);
}

/* An address as it was, to be added again. */
struct addr {
	struct ifaddrmsg ifa;
	unsigned char local[16], address[16], broadcast[16];
	int has_local, has_address, has_broadcast;
};

struct addrs {
	int index, n, overflow;
	struct addr a[32];
};

static int on_addr(struct nlmsghdr *h, void *arg)
{
	struct addrs *as = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = IFA_PAYLOAD(h);
	unsigned flags = ifa->ifa_flags;
	if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != as->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return 0;
	struct addr x = {.ifa = *ifa};
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a) > 16 ? 16 : RTA_PAYLOAD(a);
		if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= 4)
			memcpy(&flags, RTA_DATA(a), 4); /* the full 32 bits; ifa_flags holds only 8 */
		else if (a->rta_type == IFA_LOCAL)
			memcpy(x.local, RTA_DATA(a), n), x.has_local = 1;
		else if (a->rta_type == IFA_ADDRESS)
			memcpy(x.address, RTA_DATA(a), n), x.has_address = 1;
		else if (a->rta_type == IFA_BROADCAST)
			memcpy(x.broadcast, RTA_DATA(a), n), x.has_broadcast = 1;
	}
	/* runtime-spec: only permanent (IFA_F_PERMANENT) addresses of global scope move with the interface. */
	if (!(flags & IFA_F_PERMANENT))
		return 0;
	if (as->n == (int)(sizeof as->a / sizeof *as->a))
		return as->overflow = 1, 0;
	x.ifa.ifa_flags = 0;
	as->a[as->n++] = x;
	return 0;
}

static int add_addr(int s, int index, const struct addr *x)
{
	size_t n = x->ifa.ifa_family == AF_INET6 ? 16 : 4;
	struct ifaddrmsg ifa = x->ifa;
	struct req r;
	ifa.ifa_index = index;
	begin(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
	if (x->has_local)
		attr(&r, IFA_LOCAL, x->local, n);
	if (x->has_address)
		attr(&r, IFA_ADDRESS, x->address, n);
	if (x->has_broadcast)
		attr(&r, IFA_BROADCAST, x->broadcast, n);
	return talk(s, &r, NULL, NULL);
}

static int set_up(int s, int index)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	struct req r;
	begin(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	return talk(s, &r, NULL, NULL);
}

static int close3(int rc, int a, int b, int c)
{
	int e = errno;
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (c >= 0)
		close(c);
	errno = e;
	return rc;
}

int op_netdev_move(const mp *a, struct ctx *c)
{
	const char *dev = need_str(a, "device"), *name = need_str(a, "name");
	char path[32];
	struct link host, moved;
	struct addrs as = {0};
	if (!dev || !name)
		return FAILED;
	if (strlen(dev) >= IFNAMSIZ || strlen(name) >= IFNAMSIZ)
		return failx(EINVAL, "move network device \"%s\": name too long", dev);
	snprintf(path, sizeof path, "%d/ns", (int)c->child);
	int ns = proc_link(path, "net", O_RDONLY);
	if (ns < 0)
		return fail(errno, "move network device \"%s\": open the container's network namespace", dev);
	int hs = runtime_netns >= 0 ? socket_in(runtime_netns) : nl_socket();
	if (hs < 0)
		return close3(fail(errno, "move network device \"%s\": netlink socket", dev), ns, -1, -1);
	if (get_link(hs, dev, 0, &host))
		return close3(errno == ENODEV ? failx(ENODEV, "move network device \"%s\": no such interface in the runtime's network namespace", dev)
					      : fail(errno, "move network device \"%s\": look it up", dev), ns, hs, -1);
	struct ifaddrmsg all = {.ifa_family = AF_UNSPEC};
	struct req r;
	as.index = host.index;
	begin(&r, RTM_GETADDR, NLM_F_DUMP, &all, sizeof all);
	if (talk(hs, &r, on_addr, &as))
		return close3(fail(errno, "move network device \"%s\": read its addresses", dev), ns, hs, -1);
	if (as.overflow)
		return close3(failx(E2BIG, "move network device \"%s\": it has more than %d permanent global addresses", dev, (int)(sizeof as.a / sizeof *as.a)), ns, hs, -1);
	int cs = socket_in(ns);
	if (cs < 0)
		return close3(fail(errno, "move network device \"%s\": netlink socket in the container's namespace", dev), ns, hs, -1);
	/* The kernel moves the interface under its old name and renames it after: a name
	 * taken in the container would fail the rename with the interface already moved.
	 * So the name is checked first (a template picks a free one). */
	if (!strchr(name, '%') && !get_link(cs, name, 0, &moved))
		return close3(failx(EEXIST, "move network device \"%s\": the container already has an interface called \"%s\"", dev, name), ns, hs, cs);
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = host.index};
	uint32_t nsfd = ns;
	begin(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	attr(&r, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
	attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (talk(hs, &r, NULL, NULL))
		return close3(fail(errno, "move network device \"%s\" into the container as \"%s\"", dev, name), ns, hs, cs);
	/* From here on the interface is the container's: if a step below fails, the
	 * create fails and the kernel takes it back (or destroys it) with the namespace. */
	/* A template name ("eth%d") is the kernel's choice: the interface keeps its index when it is free there. */
	if (strchr(name, '%') ? get_link(cs, NULL, host.index, &moved) : get_link(cs, name, 0, &moved))
		return close3(fail(errno, "network device \"%s\": find it in the container's namespace", name), ns, hs, cs);
	for (int k = 0; k < as.n; k++) {
		char text[64] = "?";
		const struct addr *x = &as.a[k];
		if (!add_addr(cs, moved.index, x))
			continue;
		int e = errno;
		inet_ntop(x->ifa.ifa_family, x->has_local ? x->local : x->address, text, sizeof text);
		errno = e;
		return close3(fail(errno, "network device \"%s\": add back its address %s/%d", moved.name, text, x->ifa.ifa_prefixlen), ns, hs, cs);
	}
	if (set_up(cs, moved.index))
		return close3(fail(errno, "network device \"%s\": bring it up", moved.name), ns, hs, cs);
	return close3(DONE, ns, hs, cs);
}
