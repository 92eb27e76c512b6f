"""Testing helpers shipped with kgraph, so users can test their own ops and
layers the way kgraph tests its own: hypothesis strategies that honour an
op's input domains, and finite-difference gradient checks."""
