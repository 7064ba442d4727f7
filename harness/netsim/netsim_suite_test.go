package netsim_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNetsim(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netsim")
}
