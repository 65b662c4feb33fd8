"""Words, names, numbers with units, dates and entities: the language layer every step shares."""
