package netsim

// Internals the external tests check.
var (
	NetemArgs    = netemArgs
	HTBClassArgs = htbClassArgs
	FreeBlock    = freeBlock
)
