// Package netsim builds a simulated two-host network on one Linux machine, so the suites can
// run a binding's peers on two "hosts" joined by a real routed path with latency, loss,
// reordering, a bandwidth cap, a small path MTU or a partition, instead of one loopback.
//
// # Topology
//
// Three network namespaces per run, named with the common prefix "zsn" (Prefix) and a
// six-character run id:
//
//	zsnA-<run>  host A   zsn<run>a  10.254.1.2/30 ─┐
//	zsnR-<run>  router   zsn<run>ra 10.254.1.1/30 ─┘  zsn<run>rb 10.254.2.1/30 ─┐
//	zsnB-<run>  host B                                 zsn<run>b  10.254.2.2/30 ─┘
//
// Each host has loopback, its /30 to the router and one route: the other host's /30 via the
// router. There is no default route anywhere, IP forwarding is on in the router only, and no
// interface of a run ever exists in the root namespace (the veths are created inside the
// router with their peer already in the host), so A reaches B only through the router and
// nothing else, and the root namespace has no route into a run.
//
// The addresses are IPv4 from 10.254.0.0/16 (or the next free 10.x/16 going down if the
// machine routes that one): RFC 1918 space that no cloud or Docker default uses, checked
// against the root namespace's routes at creation. IPv6 ULA space (fd00::/64 in the examples
// one finds) is no safer: on the machine this was written on, eth0 itself is fd00::/64.
// Every run uses the same addresses, since they live only inside the run's own namespaces.
//
// # Shaping
//
// The router shapes what it forwards, in both directions (a round trip pays the delay twice):
// HTB on both router interfaces caps the bandwidth, the routes' MTU metric gives the path
// MTU (the router answers "fragmentation needed" as a real one does), and delay, jitter,
// loss, reordering and partitions come from one of two backends:
//
//   - netem: a tc netem qdisc under the HTB class of each router interface. The default when
//     the kernel has sch_netem (modprobe is tried).
//   - tun: where the kernel lacks netem (as on the machine this was written on: no
//     CONFIG_NET_SCH_NETEM and no loadable modules), the router's policy routing sends every
//     forwarded packet through a TUN device to a shaper process that runs inside the router
//     namespace, delays or drops it with netem's semantics (uniform jitter that reorders,
//     reorder = sent at once, loss per packet), and writes it back for the kernel to forward.
//     The shaper is this same binary re-executed (the package's init sees ZMQSUITE_NETSIM_SHAPER).
//
// tc is run as a command (iproute2) rather than through netlink's qdisc API: the commands are
// the same lines a person types to look at the result (tc -n zsnR-<run> -s qdisc), and netlink's
// netem and HTB attributes would need the rate tables and percent scaling redone by hand.
// Links, addresses, routes and rules use github.com/vishvananda/netlink, and namespaces
// github.com/vishvananda/netns.
//
// # Cleanup
//
// Everything a run creates is named with the prefix and recorded first in a state directory
// /run/zmqsuite-netsim/<run> that names the owning process (pid and start time). Close removes
// the run: it kills every process inside the run's namespaces (found as `ip netns pids` does,
// by each process's /proc/<pid>/ns/net), deletes the namespaces, and removes the state. Close
// runs on SIGINT, SIGTERM and SIGHUP too (unless Options.NoSignalHandler), and a deferred Close
// covers panics. After a crash (SIGKILL of the creator), Sweep finds the leftovers by prefix
// (namespaces, links left in the root namespace, state directories) and removes those whose
// owner is dead; it leaves live runs alone, so it is safe to call at every start, and New does.
package netsim
