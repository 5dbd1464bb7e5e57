//! Logs and traces: `tracing` to stderr (text for development, JSON for
//! production), and OpenTelemetry spans exported over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set (off otherwise: no collector
//! needed).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Keeps the exporter alive; `shutdown` flushes the spans still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(error) = provider.shutdown() {
                eprintln!("telemetry: flushing spans failed: {error}");
            }
        }
    }
}

/// The OTLP/HTTP trace exporter for the collector at `endpoint` (its base
/// URL: traces go to `{endpoint}/v1/traces`, as the OTLP specification's
/// `OTEL_EXPORTER_OTLP_ENDPOINT` says). Other `OTEL_EXPORTER_OTLP_*`
/// variables (headers, timeout) are read by the exporter itself.
fn otlp_provider(endpoint: Option<&str>) -> Option<SdkTracerProvider> {
    let endpoint = endpoint.filter(|e| !e.is_empty())?;
    let traces_url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url)
        .build()
    {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    Resource::builder()
                        .with_service_name("signin-rewards")
                        .build(),
                )
                .build(),
        ),
        Err(error) => {
            eprintln!("telemetry: OTLP export to {endpoint} disabled: {error}");
            None
        }
    }
}

/// Installs the log subscriber (in `format`) and, when `otlp_endpoint` is
/// given, trace export to that collector.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Json => logs.json().boxed(),
        LogFormat::Text => logs.boxed(),
    };
    let provider = otlp_provider(otlp_endpoint);
    let traces = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("signin-rewards"))
            .boxed()
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .with(filter)
        .init();
    Telemetry { provider }
}
