"""The LLVM backend: programs compiled to native loops through llvmlite."""

from kgraph.backends.llvm.runtime import LLVMExecutable

__all__ = ["LLVMExecutable"]
