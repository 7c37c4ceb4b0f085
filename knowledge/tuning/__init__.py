"""LoRA tuning of the brand-voice adapter from exported feedback (TRL + PEFT), and its checks.
Reads the records and the answer checks; only the command line imports it, so nothing that
answers questions loads it (the import-linter contracts)."""
