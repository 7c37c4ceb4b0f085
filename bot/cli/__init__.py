"""The `supportbot` command line (`commands.main`): one module per command group, beside the
helpers they share (`common`, `console`, `progress`). Above the platforms: `doctor` checks each
one's settings, and the command line alone imports `knowledge.tuning`."""
