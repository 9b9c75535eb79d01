"""The domain core: rules the indexer and the web side share, as pure code.

Trust score, name forms, the text a work is embedded from, owner corrections as data and how
they apply to a document, collaborator ordering. Nothing here imports `search`, `indexer`,
`web` or `peerscope`; the import contracts in pyproject.toml hold it to that.
"""
