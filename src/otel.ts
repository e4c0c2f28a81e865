// sockopt/otel (package.json "exports"): OpenTelemetry metrics from the telemetry channels.
export * from './telemetry/otel';
