package netsim

// Internals the external tests check.
var (
	NetemArgs    = netemArgs
	HTBClassArgs = htbClassArgs
	FreeBlock    = freeBlock
)

// Steady is the scenario without its partition.
func (s Scenario) Steady() Scenario { return s.steady() }
