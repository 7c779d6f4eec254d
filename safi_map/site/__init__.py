"""The static site: context, page families, writer."""
