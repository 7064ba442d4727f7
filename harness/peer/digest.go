package peer

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Digest receive mode (docs/peer-protocol.md, "Digest mode"): a recv_batch with "digest": true
// answers, instead of every message as base64 JSON, 16 bytes per message. Volume cases
// (100 000 messages) then cost the peer a CRC instead of a base64 encoding and a JSON line of
// several megabytes, and the harness can still say which message was lost, duplicated,
// reordered or corrupted: the sequence number and the frame count are carried in clear, the
// content by its CRC-32.

// DigestLen is the size of one message's digest on the wire.
const DigestLen = 16

// NoSeq is a digest's Seq for a message none of whose frames is long enough to carry a
// sequence header (HeaderLen bytes).
const NoSeq = ^uint64(0)

// Digest summarises one received message.
type Digest struct {
	// Seq is the big-endian uint64 in bytes 0-7 of the message's first frame of at least
	// HeaderLen bytes (the sequence number of a plan's message, after any short prefix
	// frames), or NoSeq when no frame is that long.
	Seq uint64
	// CRC is the CRC-32 (IEEE) of the concatenation, for every frame in order, of the frame's
	// length as a big-endian uint32 followed by its bytes. The lengths make frame boundaries
	// part of the checksum: ["ab","c"] and ["a","bc"] differ.
	CRC uint32
	// Frames is the number of frames.
	Frames uint32
}

// DigestOf computes the digest of msg exactly as a peer must (every language gets the same
// 16 bytes: Go's crc32.ChecksumIEEE, Python's zlib.crc32, Java's java.util.zip.CRC32 and
// Node's zlib.crc32 are the same function).
func DigestOf(msg [][]byte) Digest {
	d := Digest{Seq: NoSeq, Frames: uint32(len(msg))}
	var n [4]byte
	for _, f := range msg {
		if d.Seq == NoSeq && len(f) >= HeaderLen {
			d.Seq = binary.BigEndian.Uint64(f[0:8])
		}
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		d.CRC = crc32.Update(d.CRC, crc32.IEEETable, n[:])
		d.CRC = crc32.Update(d.CRC, crc32.IEEETable, f)
	}
	return d
}

// AppendDigest appends the wire form of msg's digest (DigestLen bytes) to b.
func AppendDigest(b []byte, msg [][]byte) []byte {
	return DigestOf(msg).Append(b)
}

// Append appends d's wire form: Seq, CRC and Frames, big-endian, in that order.
func (d Digest) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, d.Seq)
	b = binary.BigEndian.AppendUint32(b, d.CRC)
	return binary.BigEndian.AppendUint32(b, d.Frames)
}

// String shows a digest as a verifier's message quotes it.
func (d Digest) String() string {
	seq := "none"
	if d.Seq != NoSeq {
		seq = fmt.Sprint(d.Seq)
	}
	return fmt.Sprintf("{seq %s, crc %08x, %d frames}", seq, d.CRC, d.Frames)
}

// DecodeDigests splits a reply's digest field (already base64-decoded by encoding/json) into
// one Digest per message. A length that is not a multiple of DigestLen is a peer defect.
func DecodeDigests(b []byte) ([]Digest, error) {
	if len(b)%DigestLen != 0 {
		return nil, fmt.Errorf("digest of %d bytes is not a whole number of %d-byte message digests", len(b), DigestLen)
	}
	out := make([]Digest, len(b)/DigestLen)
	for i := range out {
		p := b[i*DigestLen:]
		out[i] = Digest{
			Seq:    binary.BigEndian.Uint64(p[0:8]),
			CRC:    binary.BigEndian.Uint32(p[8:12]),
			Frames: binary.BigEndian.Uint32(p[12:16]),
		}
	}
	return out, nil
}
