# Kept equal to [project].version in pyproject.toml (a test compares them). It lives here rather than in
# __init__.py so that it imports even where an editable install registered the package as a namespace.
VERSION = "0.1.0"
