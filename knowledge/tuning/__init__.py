"""LoRA tuning of the brand-voice adapter from exported feedback (TRL + PEFT), and its checks."""
