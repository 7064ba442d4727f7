package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

func init() {
	verbs["merge"] = verb{
		summary: "merge the shards of one run (results.json files) into the run's results",
		run:     runMerge,
	}
}

// runMerge is `zmqsuite merge A.json B.json … > results.json`: the shards i/n of one suite
// run (or of one benchmark run) become the run's results file, with the reference verdicts
// and the blame computed again over every cell. Shards of different runs — another suite,
// platform, implementation or version, expectations, filter, n — overlapping shards, and a
// missing one are refused (exit 2) in one line that names what differs.
func runMerge(args []string) int {
	fs := flag.NewFlagSet("zmqsuite merge", flag.ContinueOnError)
	outPath := fs.String("o", "", "write the merged results to `file` (atomically) instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite merge [-o FILE] SHARD.json... > results.json")
		fmt.Fprintln(fs.Output(), "merges the shards 1/n … n/n of one run (make conformance SHARD=i/n, make bench SHARD=i/n)")
		fmt.Fprintln(fs.Output(), "exit status: 0 merged, 2 refused (the line says what differs)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return matrix.ExitUnusable
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return matrix.ExitUnusable
	}
	merged, err := mergeFiles(fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite merge:", err)
		return matrix.ExitUnusable
	}
	if *outPath != "" {
		if err := harness.WriteJSON(*outPath, merged); err != nil {
			fmt.Fprintln(os.Stderr, "zmqsuite merge:", err)
			return matrix.ExitUnusable
		}
		return 0
	}
	if err := writeIndented(os.Stdout, merged); err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite merge:", err)
		return matrix.ExitUnusable
	}
	return 0
}

// mergeFiles reads the files (all of one schema: a cell suite's or the benchmark's) and
// merges them as shards.
func mergeFiles(paths []string) (any, error) {
	schema := ""
	for _, p := range paths {
		s, err := schemaOf(p)
		if err != nil {
			return nil, err
		}
		if schema != "" && s != schema {
			return nil, fmt.Errorf("%s is %s, %s is %s: shards of one run have one schema", paths[0], schema, p, s)
		}
		schema = s
	}
	switch schema {
	case harness.SuiteSchema:
		var parts []matrix.SuitePart
		for _, p := range paths {
			var r harness.SuiteResults
			if err := harness.ReadJSON(p, schema, &r); err != nil {
				return nil, err
			}
			parts = append(parts, matrix.SuitePart{Path: p, Res: &r})
		}
		return matrix.MergeShards(parts)
	case harness.BenchSchema:
		var parts []matrix.BenchPart
		for _, p := range paths {
			var r harness.Bench
			if err := harness.ReadJSON(p, schema, &r); err != nil {
				return nil, err
			}
			parts = append(parts, matrix.BenchPart{Path: p, Res: &r})
		}
		return matrix.MergeBenchShards(parts)
	}
	return nil, fmt.Errorf("%s: schema %q is neither a suite's (%s) nor the benchmark's (%s): only those come in shards", paths[0], schema, harness.SuiteSchema, harness.BenchSchema)
}

func schemaOf(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return "", fmt.Errorf("%s: not a zmqsuite results file (invalid JSON: %v)", path, err)
	}
	return head.Schema, nil
}

func writeIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
