package wire

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Reproducer is a stream that made an implementation crash, hang or deliver what it was not
// sent, saved by the mutation run (W.FUZZ) as suites/wire/testdata/reproducers/repro-<id>.json
// and replayed by W.REPRO.<id> against every implementation, transport and direction.
type Reproducer struct {
	ID        int      `json:"id"`
	FoundIn   string   `json:"found_in"`  // the implementation the run found it with
	Outcome   string   `json:"outcome"`   // crash, hang, bad-delivery
	Signature string   `json:"signature"` // the stderr headline, numbers and quoted values elided
	Seed      uint64   `json:"seed"`
	Index     uint64   `json:"index"`  // mutation number: Mutator{Seed}.Next(Index, …) made it
	Stream    string   `json:"stream"` // the seed stream it mutated
	Mutations []string `json:"mutations"`
	Octets    []byte   `json:"octets"` // base64 in the file
}

// ReproDir is where the committed reproducers live, relative to this package (the directory
// go test runs the suite in).
const ReproDir = "testdata/reproducers"

var reproName = regexp.MustCompile(`^repro-(\d+)\.json$`)

// LoadReproducers reads every repro-<id>.json of dir, by id; a file whose id does not match
// its name, or that does not parse, is an error naming it.
func LoadReproducers(dir string) ([]Reproducer, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Reproducer
	for _, e := range entries {
		m := reproName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var r Reproducer
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		if id, _ := strconv.Atoi(m[1]); id != r.ID {
			return nil, fmt.Errorf("%s: id %d does not match the file name", filepath.Join(dir, e.Name()), r.ID)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SaveReproducer writes r into dir with the next free id, unless a reproducer of the same
// implementation, outcome and signature is already there; it returns the path ("" when it was
// already known).
func SaveReproducer(dir string, r Reproducer) (string, error) {
	have, err := LoadReproducers(dir)
	if err != nil {
		return "", err
	}
	next := 1
	for _, h := range have {
		if h.FoundIn == r.FoundIn && h.Outcome == r.Outcome && h.Signature == r.Signature {
			return "", nil
		}
		next = max(next, h.ID+1)
	}
	r.ID = next
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("repro-%d.json", r.ID))
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

var (
	sigNumber   = regexp.MustCompile(`\b(0x[0-9a-fA-F]+|\d+)\b`)
	sigQuoted   = regexp.MustCompile(`"[^"]*"`)
	sigUnclosed = regexp.MustCompile(`"[^"…]*$`) // a quoted value cut by a line break
)

// Signature is what identifies a crash across runs: the first "panic:" or "fatal error:" line
// of the peer's stderr (else its last line), with numbers and quoted values elided, so that
// the same bug found with another length is one reproducer, not thousands.
func Signature(stderr string) string {
	lines := strings.Split(stderr, "\n")
	pick := ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			pick = l
			break
		}
	}
	if pick == "" {
		for i := len(lines) - 1; i >= 0; i-- {
			if l := strings.TrimSpace(lines[i]); l != "" {
				pick = l
				break
			}
		}
	}
	if pick == "" {
		return "no stderr"
	}
	pick = sigQuoted.ReplaceAllString(pick, `"…"`)
	if strings.Count(pick, `"`)%2 == 1 {
		pick = sigUnclosed.ReplaceAllString(pick, `"…"`)
	}
	return sigNumber.ReplaceAllString(pick, "N")
}
