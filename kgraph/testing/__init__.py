"""Testing helpers shipped with kgraph, so users can test their own ops and
layers the way kgraph tests its own: hypothesis strategies that honour an
op's input domains, finite-difference gradient checks, and
``test_case.run_layer_test``, the standard checks of a layer class."""
