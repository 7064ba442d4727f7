package zmtp

// SubscriptionBody is the ZMTP 3.0 subscription message (RFC 23 §The Publish-Subscribe
// Pattern: "subscribe = %x00 short-size %d1 subscription", "unsubscribe = %x00 short-size
// %d0 subscription"): a message frame whose first octet is 1 or 0. RFC 37 replaces it by the
// SUBSCRIBE and CANCEL commands; a 3.1 peer talking to a 3.0 peer uses this form (W.CMD.3).
func SubscriptionBody(subscribe bool, topic []byte) []byte {
	b := byte(0)
	if subscribe {
		b = 1
	}
	return append([]byte{b}, topic...)
}

// ParseSubscriptionBody decodes a ZMTP 3.0 subscription message frame body; ok is false
// when the body is empty or starts with neither 0 nor 1 (an XPUB delivers such messages
// to the application rather than treating them as subscriptions).
func ParseSubscriptionBody(body []byte) (subscribe bool, topic []byte, ok bool) {
	if len(body) == 0 || body[0] > 1 {
		return false, nil, false
	}
	return body[0] == 1, body[1:], true
}

// SubscriptionCommand is the ZMTP 3.1 form: a SUBSCRIBE or CANCEL command body (RFC 37:
// "subscribe = command-size %d9 "SUBSCRIBE" subscription", "cancel = command-size %d6
// "CANCEL" subscription").
func SubscriptionCommand(subscribe bool, topic []byte) []byte {
	if subscribe {
		return CommandBody(CmdSubscribe, topic)
	}
	return CommandBody(CmdCancel, topic)
}
