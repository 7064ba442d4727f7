package peer

// knownOps are the ops Serve answers; anything else is a protocol error before any socket is
// looked up, so that the error says "unknown op" and not "unknown socket".
var knownOps = map[string]bool{}

func init() {
	for _, op := range append(append([]string(nil), MandatoryOps...), OptionalOps...) {
		knownOps[op] = true
	}
}

// checkRequired refuses, with a protocol error, a request that lacks a field its op needs
// (docs/peer-protocol.md, "Operations"). Such a request is a harness bug, never a binding's
// refusal: passing an empty endpoint or option name to the binding would come back as inval
// or unsupported, which a case could mistake for the binding's answer.
//
// Fields whose zero value is meaningful are not required: count (0 receives nothing),
// messages/plan (neither is an empty batch), context ("" is the default context),
// timeout_ms (missing is DefaultTimeout) and an empty frame list inside messages.
func checkRequired(req *Request) error {
	if !knownOps[req.Op] {
		return Errorf(ErrProtocol, "unknown op %q", req.Op)
	}
	missing := func(field string) error {
		return Errorf(ErrProtocol, "%s: missing %q", req.Op, field)
	}
	switch req.Op {
	case OpSocket:
		if req.Type == "" {
			return missing("type")
		}
	case OpBind, OpConnect, OpUnbind, OpDisconnect:
		if req.Endpoint == "" {
			return missing("endpoint")
		}
	case OpSetOpt, OpGetOpt:
		if req.Name == "" {
			return missing("name")
		}
		if req.Op == OpSetOpt && req.Value == nil {
			return missing("value")
		}
	case OpSend:
		if len(req.Frames) == 0 {
			return missing("frames")
		}
	case OpSendBatch:
		if req.Plan != nil && req.Messages != nil {
			return Errorf(ErrProtocol, "send_batch: both \"plan\" and \"messages\"; send one")
		}
	case OpBench:
		if req.Bench == nil {
			return missing("bench")
		}
	case OpZAP:
		if req.ZAP == nil {
			return missing("zap")
		}
	case OpWait, OpCancel:
		if req.Job == 0 {
			return missing("job")
		}
	}
	switch req.Op {
	case OpBind, OpConnect, OpUnbind, OpDisconnect, OpSetOpt, OpGetOpt, OpSend, OpRecv,
		OpSendBatch, OpRecvBatch, OpBench, OpClose:
		if req.Socket == "" {
			return missing("socket")
		}
	}
	return nil
}
