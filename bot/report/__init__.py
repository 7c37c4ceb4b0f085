"""`supportbot report`: the records as a page a support lead opens on Monday (`page`), served on
localhost behind a token (`server`) or written as one self-contained file."""
