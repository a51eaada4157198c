"""Where the data goes: the data-flow map (app → integration → vendor → sub-processor) built from the
register's live facts, drawn as SVG, and the record of processing (GDPR Art. 30(1)(d)–(e)) derived from it."""
