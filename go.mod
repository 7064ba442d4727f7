module github.com/zmqsuite/zmqsuite

go 1.26

require (
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/pebbe/zmq4 v1.4.0
	github.com/onsi/ginkgo/v2 v2.34.0
	github.com/onsi/gomega v1.44.0
	github.com/HdrHistogram/hdrhistogram-go v1.4.0
)

tool github.com/onsi/ginkgo/v2/ginkgo
