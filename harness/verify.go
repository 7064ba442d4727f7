package harness

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// VerifyPlan checks that got is exactly the messages of plan, in order, byte for byte. The
// error names the first message and frame that differ and what the content says happened
// ("message 41207 frame 3: expected seq 41207, got 41206 (duplicate or reordered)").
func VerifyPlan(plan peer.Plan, got [][][]byte) error {
	for i, m := range got {
		if i >= plan.Count {
			return fmt.Errorf("%d messages received, %d sent: message %d is extra (%s)", len(got), plan.Count, i, whichSeq(m, len(plan.Prefix)))
		}
		if err := verifyMessage(plan, i, m); err != nil {
			return err
		}
	}
	if len(got) < plan.Count {
		return fmt.Errorf("%d of %d messages received; first missing is message %d", len(got), plan.Count, plan.Start+len(got))
	}
	return nil
}

func verifyMessage(plan peer.Plan, i int, m [][]byte) error {
	seq := plan.Start + i
	sizes := plan.FrameSizes()
	want := len(plan.Prefix) + len(sizes)
	if len(m) != want {
		return fmt.Errorf("message %d: %d frames, expected %d (%s)", seq, len(m), want, whichSeq(m, len(plan.Prefix)))
	}
	for j, p := range plan.Prefix {
		if !bytes.Equal(m[j], p) {
			return fmt.Errorf("message %d prefix frame %d: %q, expected %q", seq, j, m[j], p)
		}
	}
	for j, n := range sizes {
		f := m[len(plan.Prefix)+j]
		if len(f) != n {
			return fmt.Errorf("message %d frame %d: %d bytes, expected %d (%s)", seq, j, len(f), n, whichSeq(m, len(plan.Prefix)))
		}
		exp := make([]byte, n)
		peer.Fill(exp, seq, j)
		if bytes.Equal(f, exp) {
			continue
		}
		if n >= peer.HeaderLen {
			gs, gf := int(binary.BigEndian.Uint64(f[0:8])), int(binary.BigEndian.Uint32(f[8:12]))
			if gs != seq || gf != j {
				return fmt.Errorf("message %d frame %d: expected seq %d frame %d, got seq %d frame %d (%s)",
					seq, j, seq, j, gs, gf, misorder(seq, gs))
			}
		}
		k := 0
		for k < n && f[k] == exp[k] {
			k++
		}
		return fmt.Errorf("message %d frame %d: byte %d of %d is 0x%02x, expected 0x%02x (corrupted)", seq, j, k, n, f[k], exp[k])
	}
	return nil
}

func misorder(want, got int) string {
	switch {
	case got < want:
		return "duplicate or reordered"
	default:
		return fmt.Sprintf("%d messages lost or reordered", got-want)
	}
}

// whichSeq says which message a frame list seems to belong to, from its first data frame.
func whichSeq(m [][]byte, prefix int) string {
	if len(m) > prefix && len(m[prefix]) >= peer.HeaderLen {
		return fmt.Sprintf("it carries seq %d", binary.BigEndian.Uint64(m[prefix][0:8]))
	}
	return "no sequence header"
}
