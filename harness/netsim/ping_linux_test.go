package netsim_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// pingResult is one don't-fragment ICMP echo: answered, refused by a router with
// "fragmentation needed" (and the MTU it named), or refused by the sender's own kernel
// because it already knows the path MTU (EMSGSIZE).
type pingResult struct {
	reply    bool
	fragMTU  int // from the router's ICMP, 0 if none came
	emsgsize bool
}

func (p pingResult) String() string {
	return fmt.Sprintf("reply=%v frag-needed-mtu=%d emsgsize=%v", p.reply, p.fragMTU, p.emsgsize)
}

// pingDF sends one echo request with payload bytes of data (ping -M do -s payload) from h to
// dst over a raw socket made inside h, and waits up to timeout for what comes back.
func pingDF(h *netsim.Host, dst netip.Addr, payload int, timeout time.Duration) (pingResult, error) {
	var res pingResult
	var fd int
	err := h.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("raw socket in %s: %w", h.NS, err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); err != nil {
		return res, err
	}
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return res, err
	}
	id := uint16(time.Now().UnixNano()) | 1
	msg := make([]byte, 8+payload)
	msg[0] = 8 // echo request
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], 1)
	binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	to := &unix.SockaddrInet4{Addr: dst.As4()}
	if err := unix.Sendto(fd, msg, 0, to); err != nil {
		if errors.Is(err, unix.EMSGSIZE) {
			res.emsgsize = true
			return res, nil
		}
		return res, fmt.Errorf("sendto %s: %w", dst, err)
	}
	buf := make([]byte, 65536)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		k, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("recvfrom: %w", err)
		}
		pkt := buf[:k]
		if len(pkt) < 20 {
			continue
		}
		icmp := pkt[int(pkt[0]&0x0f)*4:]
		if len(icmp) < 8 {
			continue
		}
		switch {
		case icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id: // our echo reply
			res.reply = true
			return res, nil
		case icmp[0] == 3 && icmp[1] == 4 && len(icmp) >= 8+20+8: // fragmentation needed
			inner := icmp[8:]
			innerICMP := inner[int(inner[0]&0x0f)*4:]
			if len(innerICMP) >= 6 && binary.BigEndian.Uint16(innerICMP[4:]) == id {
				res.fragMTU = int(binary.BigEndian.Uint16(icmp[6:]))
			}
		}
	}
	return res, nil
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
