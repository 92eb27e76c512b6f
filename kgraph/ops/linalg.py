"""``kgraph.ops.linalg``: Keras's ``keras.ops.linalg`` namespace, linear
algebra (decompositions, solvers, norms) and ``jvp``.

Each name is the function ``kgraph.ops`` offers under the same name,
re-exported from the module that defines it.
"""

from kgraph.ops.differentiation import jvp
from kgraph.ops.linalg_functions import cholesky
from kgraph.ops.linalg_functions import cholesky_inverse
from kgraph.ops.linalg_functions import det
from kgraph.ops.linalg_functions import eig
from kgraph.ops.linalg_functions import eigh
from kgraph.ops.linalg_functions import inv
from kgraph.ops.linalg_functions import lstsq
from kgraph.ops.linalg_functions import lu_factor
from kgraph.ops.linalg_functions import matrix_rank
from kgraph.ops.linalg_functions import norm
from kgraph.ops.linalg_functions import pinv
from kgraph.ops.linalg_functions import qr
from kgraph.ops.linalg_functions import solve
from kgraph.ops.linalg_functions import solve_triangular
from kgraph.ops.linalg_functions import svd

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]
