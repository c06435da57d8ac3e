"""Record sources behind one interface (`monitor.stages.Source`): Kafka and JSONL files."""
