package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Files names what Write produced.
type Files struct {
	HTML, Markdown, JSON string
}

// Write renders r into dir as index.html, report.md and results.json (the merged results,
// the file the gate reads as its current run or keeps as a baseline).
func Write(dir string, r harness.Results) (Files, error) {
	f := Files{
		HTML:     filepath.Join(dir, "index.html"),
		Markdown: filepath.Join(dir, "report.md"),
		JSON:     filepath.Join(dir, "results.json"),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f, err
	}
	if err := writeFile(f.HTML, func(w io.Writer) error { return HTML(w, r) }); err != nil {
		return f, err
	}
	if err := writeFile(f.Markdown, func(w io.Writer) error { return Markdown(w, r) }); err != nil {
		return f, err
	}
	if err := harness.WriteJSON(f.JSON, r); err != nil {
		return f, fmt.Errorf("%s: %w", f.JSON, err)
	}
	return f, nil
}

// writeFile renders into memory first, so a failed render leaves no half-written report.
func writeFile(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
