//! Prometheus metrics (one recorder per process).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder (idempotent).
pub fn install() {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets(&[
                0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
            ])
            .ok()?
            .install_recorder()
            .ok()?;
        metrics::describe_counter!("urna_ballots_cast_total", "Ballots appended to a board");
        metrics::describe_counter!("urna_ballots_refused_total", "Ballots refused, by reason");
        metrics::describe_histogram!(
            "urna_ballot_verify_seconds",
            "Time to verify one batch of ballots"
        );
        metrics::describe_gauge!("urna_mail_queue", "Mails waiting to be sent");
        metrics::describe_counter!("urna_mail_sent_total", "Mails accepted by the SMTP server");
        metrics::describe_counter!("urna_mail_failed_total", "Failed mail attempts");
        Some(handle)
    });
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    install();
    HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default()
}
