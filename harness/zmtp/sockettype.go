package zmtp

// peers is RFC 37 §The Socket-Type Property: "For each socket type, its legal peer types are
// as follows" (RFC 23 has the same table for its eleven types).
var peers = map[string][]string{
	"REQ":     {"REP", "ROUTER"},
	"REP":     {"REQ", "DEALER"},
	"DEALER":  {"REP", "DEALER", "ROUTER"},
	"ROUTER":  {"REQ", "DEALER", "ROUTER"},
	"PUB":     {"SUB", "XSUB"},
	"XPUB":    {"SUB", "XSUB"},
	"SUB":     {"PUB", "XPUB"},
	"XSUB":    {"PUB", "XPUB"},
	"PUSH":    {"PULL"},
	"PULL":    {"PUSH"},
	"PAIR":    {"PAIR"},
	"CLIENT":  {"SERVER"},
	"SERVER":  {"CLIENT"},
	"RADIO":   {"DISH"},
	"DISH":    {"RADIO"},
	"SCATTER": {"GATHER"},
	"GATHER":  {"SCATTER"},
	"PEER":    {"PEER"},
	"CHANNEL": {"CHANNEL"},
}

// SocketTypes23 are the socket types of RFC 23, the 11x11 table of W.HS.1.
var SocketTypes23 = []string{"REQ", "REP", "DEALER", "ROUTER", "PUB", "XPUB", "SUB", "XSUB", "PUSH", "PULL", "PAIR"}

// ValidSocketType says whether name is in the RFC 37 socket-type grammar. Values are
// compared exactly: the grammar's strings are uppercase.
func ValidSocketType(name string) bool {
	_, ok := peers[name]
	return ok
}

// Compatible says whether a socket of type a may talk to a peer of type b.
func Compatible(a, b string) bool {
	for _, p := range peers[a] {
		if p == b {
			return true
		}
	}
	return false
}

// CompatiblePeers lists the legal peer types of a.
func CompatiblePeers(a string) []string { return append([]string(nil), peers[a]...) }
