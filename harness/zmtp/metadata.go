package zmtp

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Property names RFC 23/37 §Connection Metadata defines.
const (
	PropSocketType = "Socket-Type"
	PropIdentity   = "Identity"
	PropResource   = "Resource"
)

// MaxPropertyValue is the largest value RFC 37 allows: "0 to 2,147,483,647 (2^31-1 ...)".
const MaxPropertyValue = 1<<31 - 1

// Property is one metadata property as sent (name case preserved).
type Property struct {
	Name  string
	Value []byte
}

// Metadata is an ordered property list, the body of READY (NULL), INITIATE and READY
// (PLAIN, CURVE inside the box): "metadata = *property; property = name value".
type Metadata []Property

// Props builds metadata from name, value pairs: Props("Socket-Type", "PUSH", "X-Hello", "1").
// An odd trailing name gets an empty value.
func Props(nameValues ...string) Metadata {
	var md Metadata
	for i := 0; i < len(nameValues); i += 2 {
		p := Property{Name: nameValues[i]}
		if i+1 < len(nameValues) {
			p.Value = []byte(nameValues[i+1])
		}
		md = append(md, p)
	}
	return md
}

// Get finds a property by name, ignoring case ("Metadata names SHALL be case-insensitive").
func (md Metadata) Get(name string) ([]byte, bool) {
	for _, p := range md {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

// SocketType is the Socket-Type value, or "".
func (md Metadata) SocketType() string {
	v, _ := md.Get(PropSocketType)
	return string(v)
}

// Bytes encodes the properties exactly as given: names longer than 255 octets or values
// longer than the slice are the caller's business (use AppendProperty for lies).
func (md Metadata) Bytes() []byte {
	var b []byte
	for _, p := range md {
		b = AppendProperty(b, p.Name, p.Value)
	}
	return b
}

// AppendProperty appends one property: name length octet, name, 4-octet value size, value.
func AppendProperty(dst []byte, name string, value []byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(value)))
	return append(dst, value...)
}

// ParseMetadata decodes a property list, refusing what RFC 23/37 §The NULL Security
// Mechanism forbids: "Zero-sized names are not valid", name characters outside ALPHA |
// DIGIT | "-" | "_" | "." | "+", a value size beyond 2^31-1, and any length running past the
// end (W.HS.3: "close, no over-read"). Values alias b; nothing is allocated from a length.
func ParseMetadata(b []byte) (Metadata, error) {
	var md Metadata
	off := 0
	for off < len(b) {
		n := int(b[off])
		if n == 0 {
			return md, decodeErr(int64(off), "metadata", "property name length is 0 (zero-sized names are not valid)")
		}
		if n > len(b)-off-1 {
			return md, decodeErr(int64(off), "metadata", "property name length %d runs past the end (%d octets follow)", n, len(b)-off-1)
		}
		name := b[off+1 : off+1+n]
		for i, c := range name {
			if !isNameChar(c) {
				return md, decodeErr(int64(off+1+i), "metadata", "property name character %q not allowed", c)
			}
		}
		off += 1 + n
		if len(b)-off < 4 {
			return md, decodeErr(int64(off), "metadata", "property %q: value size needs 4 octets, %d left", name, len(b)-off)
		}
		vs := binary.BigEndian.Uint32(b[off:])
		if vs > MaxPropertyValue {
			return md, decodeErr(int64(off), "metadata", "property %q: value size %d beyond 2^31-1", name, vs)
		}
		off += 4
		if uint64(vs) > uint64(len(b)-off) {
			return md, decodeErr(int64(off-4), "metadata", "property %q: value size %d runs past the end (%d octets left)", name, vs, len(b)-off)
		}
		md = append(md, Property{Name: string(name), Value: b[off : off+int(vs) : off+int(vs)]})
		off += int(vs)
	}
	return md, nil
}

func isNameChar(c byte) bool {
	return isAlpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '+'
}

// String renders "Socket-Type=REQ Identity=[0 B]" the way transcripts show it.
func (md Metadata) String() string {
	parts := make([]string, 0, len(md))
	for _, p := range md {
		parts = append(parts, fmt.Sprintf("%s=%s", p.Name, valuePreview(p.Value)))
	}
	return strings.Join(parts, " ")
}

// valuePreview prints short printable values bare and anything else as a preview.
func valuePreview(v []byte) string {
	if len(v) > 0 && len(v) <= 32 {
		ok := true
		for _, c := range v {
			if c <= ' ' || c > '~' || c == '"' {
				ok = false
				break
			}
		}
		if ok {
			return string(v)
		}
	}
	return preview(v, 16)
}
