"""The feedback store: what was asked and answered, how people rated it, and their corrections."""
