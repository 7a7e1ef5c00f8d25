"""Devices and memory: no Triton, no Tensor."""
