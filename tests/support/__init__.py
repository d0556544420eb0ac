"""Helpers shared by tests and benchmarks (no test cases here)."""

from tests.support.fault_proxy import FaultProxy, ProxyCounters, ThreadedFaultProxy

__all__ = ["FaultProxy", "ProxyCounters", "ThreadedFaultProxy"]
