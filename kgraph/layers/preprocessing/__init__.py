"""Keras's preprocessing layers that run inside the graph: rescaling and
normalization, image resizing and cropping, random augmentation, and the
encodings of integer categories. Each group is one module; the layers are
public in ``kgraph.layers``."""
