package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// BaselineName is the file name of the baseline for an OS and architecture: figures and
// even outcomes differ per platform, so each has its own baseline.
func BaselineName(goos, goarch string) string { return goos + "-" + goarch + ".json" }

// SelectBaseline returns the baseline in dir for goos/goarch, or an error that says which
// file is missing, which baselines exist, and how to make the missing one.
func SelectBaseline(dir, goos, goarch string) (string, error) {
	name := BaselineName(goos, goarch)
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	switch {
	case err == nil && st.Mode().IsRegular():
		return path, nil
	case err == nil:
		return "", fmt.Errorf("%s: not a regular file", path)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s: %w", path, err)
	}
	have := available(dir)
	how := fmt.Sprintf("run the suites on %s/%s, then `zmqsuite report` and copy its results.json to %s", goos, goarch, path)
	if have == "" {
		return "", fmt.Errorf("no baseline for %s/%s: %s does not exist and %s holds none; %s", goos, goarch, name, dir, how)
	}
	return "", fmt.Errorf("no baseline for %s/%s: %s does not exist (%s holds %s); %s", goos, goarch, name, dir, have, how)
}

// available lists the baselines in dir, "" if none (or no dir).
func available(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".json") && strings.Contains(n, "-") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
