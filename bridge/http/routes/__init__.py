"""Route handlers, one module per endpoint family; each handler is a few lines."""
