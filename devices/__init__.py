"""Physical cars: fleet registry, device-console client, telemetry, car control."""
