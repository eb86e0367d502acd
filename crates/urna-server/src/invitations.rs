//! The mail sender: takes due mails from the queue, sends them, deletes each once the SMTP
//! server accepted it, retries transient failures with back-off and reports the rest to the
//! admins (spec/api.md §3). Every node may run it: a mail is claimed by one node at a time.

use std::time::Duration;

use crate::mail::{MailError, OutgoingMail};
use crate::state::AppState;

const LEASE_SECONDS: i64 = 300;

/// Runs until `shutdown` changes.
pub async fn run_mail_sender(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let sent_any = match send_due(&state).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "mail queue unavailable");
                false
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if !sent_any {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Seconds to wait after a mail's `attempts`-th failed attempt: 4, 8, 16, … doubling up to
/// 512 s, so a short SMTP outage costs seconds and a long one is not hammered. With the
/// default `mail_attempts` (12) a mail is given up about 43 minutes after its first attempt,
/// long enough for a relay's restart or a short outage; the admin sees it under `failed`
/// and can queue it again (spec/api.md §3).
pub fn retry_delay_secs(attempts: u32) -> i64 {
    2_i64 << attempts.clamp(1, 8)
}

/// Sends what is due once; returns how many mails were tried.
pub async fn send_due(state: &AppState) -> anyhow::Result<usize> {
    let mails = state.db.claim_mails(50, LEASE_SECONDS).await?;
    let count = mails.len();
    for mail in mails {
        let outgoing = OutgoingMail {
            to_name: mail.recipient_name.clone(),
            to_email: mail.recipient.clone(),
            subject: mail.subject.clone(),
            text: mail.body.clone(),
        };
        match state.mailer.send(&outgoing).await {
            Ok(()) => {
                metrics::counter!("urna_mail_sent_total").increment(1);
                state.db.mail_sent(&mail).await?;
            }
            Err(e) => {
                metrics::counter!("urna_mail_failed_total").increment(1);
                let attempts = mail.attempts + 1;
                let give_up = matches!(e, MailError::Permanent(_) | MailError::Config(_))
                    || attempts >= state.config.mail_attempts;
                let backoff = retry_delay_secs(attempts);
                tracing::warn!(election = %mail.election_id, attempts, give_up, error = e.category(), "mail not sent");
                state
                    .db
                    .mail_attempt_failed(&mail, &e.to_string(), crate::db::now() + backoff, give_up)
                    .await?;
            }
        }
    }
    if count > 0 {
        // The deleted rows paired addresses with secret links: push them out of the log too.
        state.db.checkpoint().await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::retry_delay_secs;

    #[test]
    fn the_back_off_doubles_and_is_bounded() {
        let delays: Vec<i64> = (1..=10).map(retry_delay_secs).collect();
        assert_eq!(delays, [4, 8, 16, 32, 64, 128, 256, 512, 512, 512]);
        assert_eq!(retry_delay_secs(0), 4);
        assert_eq!(retry_delay_secs(u32::MAX), 512);
    }
}
