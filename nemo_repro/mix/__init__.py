"""Mixing organic and recycled data: blend files, token accounting, Megatron indexed datasets."""
