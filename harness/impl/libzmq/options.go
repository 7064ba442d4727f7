//go:build libzmq && cgo

package libzmq

import (
	"sort"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// option is how one peer.Options name maps onto pebbe/zmq4; a nil set or get is a direction
// libzmq or pebbe does not offer.
type option struct {
	set func(*zmq.Socket, any) error
	get func(*zmq.Socket) (any, error)
}

// options holds every peer.Options name pebbe/zmq4 wraps. Missing: router_notify and
// topics_count (libzmq draft API, not in pebbe/zmq4's stable package).
var options = map[string]option{
	"subscribe":          {set: setBytes((*zmq.Socket).SetSubscribe)},
	"unsubscribe":        {set: setBytes((*zmq.Socket).SetUnsubscribe)},
	"routing_id":         {set: setBytes((*zmq.Socket).SetIdentity), get: getBytes((*zmq.Socket).GetIdentity)},
	"connect_routing_id": {set: setBytes((*zmq.Socket).SetConnectRid)},
	"sndhwm":             {set: setInt((*zmq.Socket).SetSndhwm), get: getInt((*zmq.Socket).GetSndhwm)},
	"rcvhwm":             {set: setInt((*zmq.Socket).SetRcvhwm), get: getInt((*zmq.Socket).GetRcvhwm)},
	"linger":             {set: setMS((*zmq.Socket).SetLinger), get: getMS((*zmq.Socket).GetLinger)},
	"sndtimeo":           {set: setMS((*zmq.Socket).SetSndtimeo), get: getMS((*zmq.Socket).GetSndtimeo)},
	"rcvtimeo":           {set: setMS((*zmq.Socket).SetRcvtimeo), get: getMS((*zmq.Socket).GetRcvtimeo)},
	"router_mandatory":   {set: setBoolInt((*zmq.Socket).SetRouterMandatory)},
	"probe_router":       {set: setBoolInt((*zmq.Socket).SetProbeRouter)},
	"req_relaxed":        {set: setBoolInt((*zmq.Socket).SetReqRelaxed)},
	"req_correlate":      {set: setBoolInt((*zmq.Socket).SetReqCorrelate)},
	"xpub_verbose":       {set: setBoolInt((*zmq.Socket).SetXpubVerbose)},
	"xpub_verboser":      {set: setBoolInt((*zmq.Socket).SetXpubVerboser)},
	"xpub_nodrop":        {set: setBool((*zmq.Socket).SetXpubNodrop)},
	"xpub_manual":        {set: setBoolInt((*zmq.Socket).SetXpubManual)},
	"xpub_welcome_msg":   {set: setBytes((*zmq.Socket).SetXpubWelcomeMsg)},
	"invert_matching":    {set: setBoolInt((*zmq.Socket).SetInvertMatching), get: getIntBool((*zmq.Socket).GetInvertMatching)},
	"conflate":           {set: setBool((*zmq.Socket).SetConflate)},
	"immediate":          {set: setBool((*zmq.Socket).SetImmediate), get: getBool((*zmq.Socket).GetImmediate)},
	"maxmsgsize":         {set: setInt64((*zmq.Socket).SetMaxmsgsize), get: getInt64((*zmq.Socket).GetMaxmsgsize)},
	"heartbeat_ivl":      {set: setMS((*zmq.Socket).SetHeartbeatIvl)},
	"heartbeat_timeout":  {set: setMS((*zmq.Socket).SetHeartbeatTimeout)},
	"heartbeat_ttl":      {set: setMS((*zmq.Socket).SetHeartbeatTtl)},
	"last_endpoint":      {get: func(s *zmq.Socket) (any, error) { return s.GetLastEndpoint() }},
	"rcvmore":            {get: getBool((*zmq.Socket).GetRcvmore)},
}

func optionNames() []string {
	n := make([]string, 0, len(options))
	for k := range options {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func setBytes(f func(*zmq.Socket, string) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		b, err := peer.DecodeBytes(v)
		if err != nil {
			return err
		}
		return f(s, string(b))
	}
}

func setInt(f func(*zmq.Socket, int) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		n, err := peer.DecodeInt(v)
		if err != nil {
			return err
		}
		return f(s, n)
	}
}

func setInt64(f func(*zmq.Socket, int64) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		n, err := peer.DecodeInt(v)
		if err != nil {
			return err
		}
		return f(s, int64(n))
	}
}

func setBoolInt(f func(*zmq.Socket, int) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		b, err := peer.DecodeBool(v)
		if err != nil {
			return err
		}
		n := 0
		if b {
			n = 1
		}
		return f(s, n)
	}
}

func setBool(f func(*zmq.Socket, bool) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		b, err := peer.DecodeBool(v)
		if err != nil {
			return err
		}
		return f(s, b)
	}
}

// setMS takes milliseconds; -1 ("forever") is pebbe/zmq4's time.Duration(-1).
func setMS(f func(*zmq.Socket, time.Duration) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		n, err := peer.DecodeInt(v)
		if err != nil {
			return err
		}
		d := time.Duration(n) * time.Millisecond
		if n == -1 {
			d = -1
		}
		return f(s, d)
	}
}

func getBytes(f func(*zmq.Socket) (string, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) {
		v, err := f(s)
		return []byte(v), err
	}
}

func getInt(f func(*zmq.Socket) (int, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) { return f(s) }
}

func getInt64(f func(*zmq.Socket) (int64, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) {
		v, err := f(s)
		return int(v), err
	}
}

func getIntBool(f func(*zmq.Socket) (int, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) {
		v, err := f(s)
		return v != 0, err
	}
}

func getBool(f func(*zmq.Socket) (bool, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) { return f(s) }
}

func getMS(f func(*zmq.Socket) (time.Duration, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) {
		d, err := f(s)
		return ms(d), err
	}
}

// ms converts pebbe/zmq4's Duration back to libzmq's milliseconds (-1 stays -1).
func ms(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int(d / time.Millisecond)
}
