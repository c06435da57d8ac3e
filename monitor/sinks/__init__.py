"""Decision and alert sinks behind one interface (`monitor.stages.Sink`)."""
