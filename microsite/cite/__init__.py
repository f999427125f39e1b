"""Citations of press articles, free of Pelican: one record, many formats.

``record.Reference`` is built from an article's front matter; ``styles``
formats it for people (APA 7, Chicago 17), ``formats`` for reference managers
(BibTeX, RIS, CSL-JSON) and ``embedded`` for the page itself (Highwire
``citation_*`` tags, schema.org JSON-LD, OpenGraph).  Keeping this apart from
the plugin lets each format be tested with its real parser.
"""

from microsite.cite.record import Name, Reference, assign_keys, base_key, from_metadata, unique_keys, with_key

__all__ = ["Name", "Reference", "assign_keys", "base_key", "from_metadata", "unique_keys", "with_key"]
