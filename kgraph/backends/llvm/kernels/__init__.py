"""Hand-scheduled kernels the LLVM backend emits in place of naive loops."""

from kgraph.backends.llvm.kernels.gemm import emit_gemm

__all__ = ["emit_gemm"]
