"""From survey files to the actors GeoDataFrame: read, validate, geocode, merge, report."""
