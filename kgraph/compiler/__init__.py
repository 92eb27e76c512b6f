"""The compiler: passes that turn a model's graph into the graphs a backend runs."""
