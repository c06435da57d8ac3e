"""`cct-monitor bench`: naive baseline, model ceiling and the full pipeline through a real Kafka broker, side by side."""
