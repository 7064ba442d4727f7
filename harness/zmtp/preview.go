package zmtp

import (
	"fmt"
	"strings"
)

// preview renders at most max octets of b: `"hello"` when printable, hex otherwise, with
// "…" when cut. It is how transcripts keep frames readable and bounded.
func preview(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	printable := true
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			printable = false
			break
		}
	}
	var s string
	switch {
	case len(b) == 0:
		s = `""`
	case printable:
		s = fmt.Sprintf("%q", b)
	default:
		s = fmt.Sprintf("%x", b)
	}
	if cut {
		s += "…"
	}
	return s
}

// framePreview is "[5 B "hello"]" or "[0 B]".
func framePreview(size uint64, head []byte, long bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%d B", size)
	if long && size <= 255 {
		sb.WriteString(" long")
	}
	if size > 0 {
		sb.WriteString(" ")
		s := preview(head, len(head))
		if uint64(len(head)) < size && !strings.HasSuffix(s, "…") {
			s += "…"
		}
		sb.WriteString(s)
	}
	sb.WriteString("]")
	return sb.String()
}
