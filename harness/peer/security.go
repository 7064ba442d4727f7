package peer

import (
	"fmt"
	"sync"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/z85"
)

// ZAP (RFC 27) as the peer protocol carries it. A PLAIN or CURVE server asks a ZAP handler,
// bound at ZAPEndpoint in its context, whether a client may connect; libzmq without a handler
// lets everyone in. A suite that read "connected" as "authenticated" would trust that default,
// so every peer runs a handler of its own, configured by the suite with the exact credentials
// to allow (OpZAP), and answers what it was asked (OpZAPLog).

// ZAPEndpoint is where RFC 27 puts the handler: "The ZAP handler SHALL bind to the endpoint
// inproc://zeromq.zap.01".
const ZAPEndpoint = "inproc://zeromq.zap.01"

// ZAP status codes (RFC 27: 200 success, 300 temporary error, 400 authentication failure,
// 500 internal error).
const (
	ZAPAllow  = "200"
	ZAPRefuse = "400"
)

// ZAPSpec is what a handler allows: requests of Domain only, and in it the PLAIN users, the
// CURVE client keys and (AllowNull) NULL clients listed. Everything else is refused with 400.
type ZAPSpec struct {
	Domain    string    `json:"domain"`
	Users     []ZAPUser `json:"users,omitempty"`
	CurveKeys []string  `json:"curve_keys,omitempty"` // Z85, 40 characters
	AllowNull bool      `json:"allow_null,omitempty"`
}

// ZAPUser is one PLAIN user name and password (bytes: base64 in JSON).
type ZAPUser struct {
	Username []byte `json:"username"`
	Password []byte `json:"password"`
}

// ZAPRecord is one request a handler answered.
type ZAPRecord struct {
	Mechanism string `json:"mechanism"`
	Domain    string `json:"domain"`
	Username  []byte `json:"username,omitempty"` // PLAIN
	Key       string `json:"key,omitempty"`      // CURVE: the client's public key in Z85
	Status    string `json:"status"`             // the status code answered
}

// Decide answers one request: the status code and the user id to report. credentials are the
// request's frames after the mechanism (PLAIN: username, password; CURVE: the 32-byte key).
func (z ZAPSpec) Decide(mechanism, domain string, credentials [][]byte) ZAPRecord {
	rec := ZAPRecord{Mechanism: mechanism, Domain: domain, Status: ZAPRefuse}
	switch mechanism {
	case "PLAIN":
		if len(credentials) >= 1 {
			rec.Username = credentials[0]
		}
	case "CURVE":
		if len(credentials) >= 1 && len(credentials[0]) == 32 {
			rec.Key, _ = z85.Encode(credentials[0])
		}
	}
	if domain != z.Domain {
		return rec
	}
	switch mechanism {
	case "NULL":
		if z.AllowNull {
			rec.Status = ZAPAllow
		}
	case "PLAIN":
		if len(credentials) == 2 {
			for _, u := range z.Users {
				if string(u.Username) == string(credentials[0]) && string(u.Password) == string(credentials[1]) {
					rec.Status = ZAPAllow
				}
			}
		}
	case "CURVE":
		for _, k := range z.CurveKeys {
			if rec.Key != "" && k == rec.Key {
				rec.Status = ZAPAllow
			}
		}
	}
	return rec
}

// ZAPReply answers an RFC 27 request (the frames after the REP envelope: version,
// request id, domain, address, identity, mechanism, credentials...) by spec. A request that
// is not version 1.0 or too short is answered 500 with its request id, as the RFC asks of a
// handler that cannot process it.
func ZAPReply(spec ZAPSpec, req [][]byte) ([][]byte, ZAPRecord) {
	if len(req) < 6 || string(req[0]) != "1.0" {
		id := []byte{}
		if len(req) > 1 {
			id = req[1]
		}
		return [][]byte{[]byte("1.0"), id, []byte("500"), []byte("malformed ZAP request"), {}, {}},
			ZAPRecord{Mechanism: "?", Status: "500"}
	}
	rec := spec.Decide(string(req[5]), string(req[2]), req[6:])
	text, user := "refused", []byte{}
	if rec.Status == ZAPAllow {
		text = "OK"
		user = rec.Username
		if user == nil {
			user = []byte(rec.Key)
		}
	}
	return [][]byte{[]byte("1.0"), req[1], []byte(rec.Status), []byte(text), user, {}}, rec
}

// ZAPBackend is an optional interface of a Backend whose sockets consult a ZAP handler: it
// gives Serve an unbound REP socket in a context, which Serve binds at ZAPEndpoint and
// serves. A backend without it (go-zeromq has no ZAP) answers the zap ops unsupported.
type ZAPBackend interface {
	ZAPSocket(context string) (Socket, error)
}

// zapHandler is one context's running handler: a goroutine that owns the REP socket.
type zapHandler struct {
	sock Socket
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	spec ZAPSpec
	log  []ZAPRecord
}

// zapPoll is how often the handler looks at its stop flag while no request comes.
const zapPoll = 50 * time.Millisecond

func (h *zapHandler) loop() {
	defer close(h.done)
	for {
		select {
		case <-h.stop:
			return
		default:
		}
		req, err := h.sock.Recv(zapPoll)
		if err != nil {
			if Category(err) == ErrAgain {
				continue
			}
			return // closed under us: nothing more to answer
		}
		h.mu.Lock()
		rep, rec := ZAPReply(h.spec, req)
		h.log = append(h.log, rec)
		h.mu.Unlock()
		if err := h.sock.Send(rep, time.Second); err != nil && Category(err) != ErrAgain {
			return
		}
	}
}

func (h *zapHandler) records() []ZAPRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]ZAPRecord{}, h.log...)
}

// zap serves OpZAP, OpZAPLog and OpZAPStop for a Go backend.
func (s *server) zap(req *Request) Reply {
	zb, ok := s.backend.(ZAPBackend)
	if !ok {
		return fail(Errorf(ErrUnsupported, "%s: this binding has no ZAP (RFC 27): its servers consult no handler", s.backend.Info().Name))
	}
	s.mu.Lock()
	if s.zaps == nil {
		s.zaps = map[string]*zapHandler{}
	}
	h := s.zaps[req.Context]
	s.mu.Unlock()
	switch req.Op {
	case OpZAPLog:
		if h == nil {
			return fail(Errorf(ErrInval, "zap_log: no ZAP handler in context %q", req.Context))
		}
		return Reply{OK: true, ZAPLog: h.records()}
	case OpZAPStop:
		if h == nil {
			return Reply{OK: true}
		}
		s.stopZAP(req.Context, h)
		return Reply{OK: true, ZAPLog: h.records()}
	}
	if h != nil {
		// Re-armed: a new spec and an empty log, on the socket already bound.
		h.mu.Lock()
		h.spec, h.log = *req.ZAP, nil
		h.mu.Unlock()
		return Reply{OK: true}
	}
	sock, err := zb.ZAPSocket(req.Context)
	if err != nil {
		return fail(err)
	}
	// A handler stopped a moment ago may still hold the endpoint: libzmq releases an inproc
	// endpoint when the closed socket is reaped, asynchronously.
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err = sock.Bind(ZAPEndpoint)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		_ = sock.Close(0)
		return fail(fmt.Errorf("zap: bind %s: %w", ZAPEndpoint, err))
	}
	h = &zapHandler{sock: sock, spec: *req.ZAP, stop: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.zaps[req.Context] = h
	s.mu.Unlock()
	go h.loop()
	return Reply{OK: true}
}

func (s *server) stopZAP(context string, h *zapHandler) {
	close(h.stop)
	<-h.done
	_ = h.sock.Close(0)
	s.mu.Lock()
	delete(s.zaps, context)
	s.mu.Unlock()
}

// stopAllZAP stops every handler (quit).
func (s *server) stopAllZAP() {
	s.mu.Lock()
	hs := s.zaps
	s.mu.Unlock()
	for ctx, h := range hs {
		s.stopZAP(ctx, h)
	}
}

// DecodeString turns a setopt value for a string option (zap_domain, the z85 keys) into text.
func DecodeString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", Errorf(ErrInval, "value %v (%T) is not a string", v, v)
}
