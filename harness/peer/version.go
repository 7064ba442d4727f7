package peer

import "runtime/debug"

// ModuleVersion returns the version of module path linked into this binary (its replacement's
// version when replaced), or fallback when the build carries no module information. Go
// adapters report their binding's version with it.
func ModuleVersion(path, fallback string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != path {
				continue
			}
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Replace.Version
			}
			if d.Version != "" && d.Version != "(devel)" {
				return d.Version
			}
		}
	}
	return fallback
}
