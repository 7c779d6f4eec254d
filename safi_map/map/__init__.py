"""The filterable actor map: payload, elements, page."""
