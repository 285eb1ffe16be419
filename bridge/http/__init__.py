"""The thin HTTP layer: parse, call one core function, render."""
