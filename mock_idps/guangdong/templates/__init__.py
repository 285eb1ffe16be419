"""Jinja2 templates of the mock Guangdong platform's pages.

A package only so that setuptools ships the `*.html` files in a wheel.
"""
