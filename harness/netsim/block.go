package netsim

import (
	"fmt"
	"net/netip"
	"strconv"
)

// freeBlock returns "10.x" for the first x from 254 down to 240 whose 10.x.0.0/16 overlaps
// none of used (the machine's own routes and addresses).
func freeBlock(used []netip.Prefix) (string, error) {
	for x := 254; x >= 240; x-- {
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(x), 0, 0}), 16)
		free := true
		for _, u := range used {
			if u.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return "10." + strconv.Itoa(x), nil
		}
	}
	return "", fmt.Errorf("netsim: the machine routes all of 10.240.0.0/12; no free block for the simulated hosts")
}
