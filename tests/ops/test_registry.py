"""The registry is complete: every op has every rule and a public function."""

import pytest

import kgraph
from kgraph import errors
from kgraph import ops
from kgraph.ops import registry

ALL_OPS = registry.all_ops()


def test_registry_is_small_and_nonempty():
    # 48 before convolution and pooling, which need five primitives of their
    # own: conv and conv_kernel_grad (the input gradient is a conv), sum_pool
    # (closed under its gradient), max_pool (one pass) and pool_argmax (where
    # max pooling's gradient goes).
    # NumPy's math adds 37: C-library functions no composition computes
    # exactly (erf, arcsin, ...), rounding, integer division and bits, and
    # the sorting, running-sum/product and prod primitives. Preprocessing
    # adds hash_bucket (Hashing) and iota (positions along a batch of unknown
    # size). Everything else is composed from these.
    assert 30 <= len(ALL_OPS) <= 100


@pytest.mark.parametrize("opdef", ALL_OPS, ids=[op.name for op in ALL_OPS])
def test_every_op_has_every_rule(opdef):
    assert opdef.kind in registry.KINDS
    assert callable(opdef.infer)
    assert callable(opdef.reference)
    assert callable(opdef.example)
    assert opdef.doc and opdef.doc.strip() == opdef.doc
    if opdef.differentiable:
        assert callable(opdef.grad)
    else:
        assert opdef.grad is None
    # Every op the LLVM backend can meet is lowered (or is a view of its
    # operand); sources are bound by the code generator, which also lowers
    # loops (their body is a graph).
    if opdef.kind not in (registry.SOURCE, registry.LOOP):
        assert callable(opdef.lower) or opdef.view, f"{opdef.name} has no lowering"


@pytest.mark.parametrize("opdef", ALL_OPS, ids=[op.name for op in ALL_OPS])
def test_every_op_has_a_public_function(opdef):
    public = kgraph.constant if opdef.name == "constant" else getattr(ops, opdef.name)
    assert callable(public)
    assert public.__doc__


def test_an_op_without_a_grad_rule_cannot_be_built():
    with pytest.raises(ValueError, match="needs a grad rule"):
        registry.OpDef(
            name="broken",
            kind=registry.ELEMENTWISE,
            arity=1,
            infer=lambda t, a: t[0],
            reference=lambda x, a: x[0],
            grad=None,
            example=lambda d: None,
            doc="Broken.",
        )


def test_duplicate_registration_is_rejected():
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(registry.get("exp"))


def test_unknown_op_lists_the_registered_ones():
    with pytest.raises(errors.GraphError, match=r"Unknown op 'expp'.*'exp'"):
        ops.apply("expp", [1.0])


def test_unknown_and_missing_attributes():
    with pytest.raises(errors.GraphError, match="unknown attribute"):
        ops.apply("sum", [[1.0]], {"axes": 0})
    with pytest.raises(errors.GraphError, match="missing required attribute 'shape'"):
        ops.apply("reshape", [[1.0]], {})
    with pytest.raises(ValueError, match="invalid attribute keepdims"):
        ops.apply("sum", [[1.0]], {"keepdims": "yes"})
