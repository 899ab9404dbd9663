"""Pure builders: each returns a component tree (or a figure) and reads nothing."""
