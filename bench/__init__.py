"""Benchmarks (`make bench`): long measurements that have no place in the test suite."""
