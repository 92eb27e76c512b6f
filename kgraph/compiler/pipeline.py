"""The declared pipelines: nothing but lists of passes, each with its reason."""

from kgraph.compiler.autodiff import differentiate
from kgraph.compiler.fusion import fuse
from kgraph.compiler.inline_optimizer import inline_optimizer
from kgraph.compiler.memory_plan import plan_memory
from kgraph.compiler.replicas import reduce_across_replicas
from kgraph.compiler.shape_inference import infer_shapes
from kgraph.compiler.simplify import eliminate_common_subexpressions
from kgraph.compiler.simplify import eliminate_dead_code
from kgraph.compiler.simplify import fold_broadcasts
from kgraph.compiler.simplify import fold_constants
from kgraph.compiler.simplify import fold_padding
from kgraph.compiler.simplify import remove_identities
from kgraph.compiler.simplify import simplify_where
from kgraph.compiler.simplify import specialize_inputs

TRAIN = (
    infer_shapes,  # the batch size is known now: every shape becomes static
    specialize_inputs,  # training=True: dropout's branch is chosen before autodiff
    fold_constants,  # evaluate what the specialization made constant
    simplify_where,  # drop the branch the training flag no longer picks
    differentiate,  # gradients of the loss for every trainable parameter
    reduce_across_replicas,  # data-parallel jobs: one sum over processes
    inline_optimizer,  # the optimizer update joins the graph: one graph per step
    fold_constants,  # gradients of constants and seeds are constants
    remove_identities,  # unbroadcasting leaves reshapes that change nothing
    eliminate_common_subexpressions,  # forward and backward recompute alike
    fold_broadcasts,  # elementwise ops broadcast themselves: no copies
    eliminate_dead_code,  # the inference branch and unused gradients go
    fuse,  # elementwise chains and matmul epilogues: one loop each
    plan_memory,  # buffer reuse and in-place state updates, for the backend
)

EVAL = (
    infer_shapes,  # static shapes for the evaluation batch size
    specialize_inputs,  # training=False: dropout is the identity
    fold_constants,  # evaluate what became constant
    simplify_where,  # drop the training branch
    remove_identities,  # no gradients here: stop_gradient can go too
    fold_padding,  # a zero pad feeding a convolution (or pooling) becomes its padding
    eliminate_common_subexpressions,  # merge repeated work
    fold_broadcasts,  # elementwise ops broadcast themselves: no copies
    eliminate_dead_code,  # only the loss and metric statistics remain
    fuse,  # elementwise chains and matmul epilogues: one loop each
    plan_memory,  # buffer reuse and in-place state updates, for the backend
)

PREDICT = EVAL

BODY = (
    fold_constants,  # constants of the body fold once, not every step
    remove_identities,  # reshapes that change nothing
    eliminate_common_subexpressions,  # forward and backward recompute alike
    fold_broadcasts,  # elementwise ops broadcast themselves: no copies
    eliminate_dead_code,  # what no output of the step needs
    fuse,  # elementwise chains and matmul epilogues: one loop each
    plan_memory,  # the step's arena, reused every step
)
