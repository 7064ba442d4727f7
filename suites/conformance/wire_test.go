package conformance_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// Wire-level cases (CASES.md §P): the test process itself speaks ZMTP to an implementation's
// socket, byte by byte, to send what no well-behaved binding would.

// wireConn is a raw ZMTP 3.0 connection from the test process, handshaken with NULL security.
type wireConn struct {
	c net.Conn
	r *bufio.Reader
}

// wireDial connects to a bound socket's endpoint and completes the handshake as socketType.
func wireDial(endpoint, socketType string) (*wireConn, error) {
	network, addr := "tcp", strings.TrimPrefix(endpoint, "tcp://")
	if p, ok := strings.CutPrefix(endpoint, "ipc://"); ok {
		network, addr = "unix", p
	}
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	w := &wireConn{c: conn, r: bufio.NewReader(conn)}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := w.handshake(socketType); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return w, nil
}

// handshake sends a whole greeting (RFC 23: signature, version 3.0, "NULL", as-server 0,
// filler) and a READY with Socket-Type, then reads the peer's greeting and its READY.
func (w *wireConn) handshake(socketType string) error {
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10] = 0xFF, 0x7F, 3
	copy(greeting[12:], "NULL")
	body := append([]byte{5}, "READY"...)
	body = append(body, byte(len("Socket-Type")))
	body = append(body, "Socket-Type"...)
	body = binary.BigEndian.AppendUint32(body, uint32(len(socketType)))
	body = append(body, socketType...)
	out := append(greeting, 0x04, byte(len(body)))
	if _, err := w.c.Write(append(out, body...)); err != nil {
		return fmt.Errorf("send greeting and READY: %w", err)
	}
	theirs := make([]byte, 64)
	if _, err := io.ReadFull(w.r, theirs); err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if theirs[0] != 0xFF || theirs[9]&1 == 0 {
		return fmt.Errorf("not a ZMTP 3 greeting: % x", theirs[:11])
	}
	flags, err := w.r.ReadByte()
	if err != nil {
		return fmt.Errorf("read READY: %w", err)
	}
	if flags&0x04 == 0 {
		return fmt.Errorf("first frame after the greeting is not a command (flags %#x)", flags)
	}
	size := uint64(0)
	if flags&0x02 != 0 {
		var b [8]byte
		if _, err := io.ReadFull(w.r, b[:]); err != nil {
			return fmt.Errorf("read READY size: %w", err)
		}
		size = binary.BigEndian.Uint64(b[:])
	} else {
		b, err := w.r.ReadByte()
		if err != nil {
			return fmt.Errorf("read READY size: %w", err)
		}
		size = uint64(b)
	}
	if size > 1<<16 {
		return fmt.Errorf("READY of %d bytes", size)
	}
	_, err = io.CopyN(io.Discard, w.r, int64(size))
	return err
}

// closedByPeer waits up to limit for the implementation to close the connection, reading
// and discarding whatever it sends meanwhile; it says whether it did.
func (w *wireConn) closedByPeer(limit time.Duration) bool {
	_ = w.c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, w.r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true // EOF (nil from Copy) or a reset
}

// W.FR.4 (RFC 23: a long frame's size is 8 octets, 0 to 2^63-1; "the class of remote-crash
// bugs a fuzzing peer finds"). A data frame that announces 2^40 bytes that never come, or a
// size with the top bit set, is met by closing the connection without allocating it; the
// process lives on, and the socket serves a well-behaved peer afterwards (the W.ROB.1 oracle).
var _ = c.Case("W.FR.4", Must, "wire", "A frame announcing an impossible size closes that connection; the process and the socket live on",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Bind(ctx, h.PULL)
		for _, size := range []uint64{1 << 40, 1 << 63} { // the one a size check misses first
			w, err := wireDial(pull.Endpoint, "PUSH")
			Expect(err).NotTo(HaveOccurred(), "raw ZMTP handshake with %s", pull.Endpoint)
			frame := binary.BigEndian.AppendUint64([]byte{0x02}, size) // LONG, no MORE, no body
			_, err = w.c.Write(frame)
			Expect(err).NotTo(HaveOccurred())
			closed := w.closedByPeer(5 * time.Second)
			w.c.Close()
			// Ask the bind side something: a peer that died of the frame is a crash here.
			m, err := pull.TryRecv(ctx, 0)
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "after a frame announcing %d bytes that never came, the PULL's receive gave %s, %v", size, h.Describe(m), err)
			Expect(closed).To(BeTrue(), "the connection that announced %d bytes was still open after 5 s", size)
		}
		push := cell.Connect(ctx, h.PUSH, pull)
		push.Send(ctx, "after")
		Expect(pull.RecvStrings(ctx)).To(Equal([]string{"after"}), "a well-behaved peer after the bad ones")
	}, c.PerImplementation(), c.On(h.TCP, h.IPC))
