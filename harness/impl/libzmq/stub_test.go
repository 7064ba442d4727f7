//go:build !(libzmq && cgo)

package libzmq_test

import (
	"errors"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/impl/libzmq"
)

func TestNotBuilt(t *testing.T) {
	if _, err := libzmq.New(); !errors.Is(err, libzmq.ErrNotBuilt) || libzmq.Available {
		t.Fatalf("New without the libzmq tag: %v", err)
	}
}
