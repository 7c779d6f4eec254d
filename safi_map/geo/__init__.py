"""Places: the packaged gazetteer, the offline and online geocoders and their cache."""
