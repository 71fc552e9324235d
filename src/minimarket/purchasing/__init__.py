"""Buying and pricing like a shop does: supplier pack sizes and unit costs (:mod:`.packs`), purchase drafts a
supplier accepts (:mod:`.drafts`) and shelf prices a shop prints (:mod:`.shelf`)."""
