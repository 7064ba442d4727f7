package peer

import "encoding/binary"

// HeaderLen is the size of the sequence header that starts every frame of at least that size.
const HeaderLen = 12

// Fill writes the content of frame `frame` of message `seq` into b. Every peer, in every
// language, generates exactly these bytes (docs/peer-protocol.md, "Content pattern"):
//
//   - a frame of HeaderLen bytes or more starts with seq as a big-endian uint64 and frame as a
//     big-endian uint32, so a verifier can say which message a stray frame belongs to;
//   - every other byte k is (seq*131 + frame*17 + k) mod 256, so frames of 256+ bytes carry every
//     byte value and a byte shifted, dropped or corrupted anywhere is detected.
func Fill(b []byte, seq, frame int) {
	start := 0
	if len(b) >= HeaderLen {
		binary.BigEndian.PutUint64(b[0:8], uint64(seq))
		binary.BigEndian.PutUint32(b[8:12], uint32(frame))
		start = HeaderLen
	}
	base := seq*131 + frame*17
	for k := start; k < len(b); k++ {
		b[k] = byte(base + k)
	}
}

// FrameSizes returns the size of each data frame of a plan's messages.
func (p *Plan) FrameSizes() []int {
	if len(p.Sizes) > 0 {
		return p.Sizes
	}
	n := p.Frames
	if n <= 0 {
		n = 1
	}
	s := make([]int, n)
	for i := range s {
		s[i] = p.Size
	}
	return s
}

// Message builds message i (0-based within the plan) of p: the prefix frames, then the data
// frames filled with Fill for sequence number p.Start+i.
func (p *Plan) Message(i int) [][]byte {
	sizes := p.FrameSizes()
	msg := make([][]byte, 0, len(p.Prefix)+len(sizes))
	for _, f := range p.Prefix {
		msg = append(msg, append([]byte(nil), f...))
	}
	for j, n := range sizes {
		b := make([]byte, n)
		Fill(b, p.Start+i, j)
		msg = append(msg, b)
	}
	return msg
}

// Validate refuses plans no peer can generate (negative counts or sizes).
func (p *Plan) Validate() error {
	if p.Count < 0 || p.Start < 0 || p.Frames < 0 || p.Size < 0 {
		return Errorf(ErrInval, "plan: negative count, start, frames or size")
	}
	for _, n := range p.Sizes {
		if n < 0 {
			return Errorf(ErrInval, "plan: negative frame size %d", n)
		}
	}
	return nil
}
