"""Cross-network meetings and action items (列管事項): step 5."""
