"""Gatehouse: governance and compliance control plane for LLM fine-tuning."""
