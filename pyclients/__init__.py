"""pyzmq peer for zmqsuite (peer.py) and its tests."""
