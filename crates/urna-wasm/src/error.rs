//! The one error type the pages see: a stable code to translate, and an English sentence.

use serde::Serialize;

/// An error handed to JavaScript (thrown as an `Error` with `code` and, for failed checks,
/// `check`, `seq` and `culprit` properties).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct WebError {
    /// Stable, for the pages' translation files: e.g. `bad_credential`, `invalid_vote`.
    pub code: &'static str,
    pub message: String,
    /// The verifier check that failed (spec/record.md §8), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culprit: Option<String>,
    /// For `invalid_vote`: the contest at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contest: Option<usize>,
}

impl WebError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            check: None,
            seq: None,
            culprit: None,
            contest: None,
        }
    }

    /// Wraps a failure of the lower layers under `code`.
    pub fn from_error(code: &'static str, error: impl core::fmt::Display) -> Self {
        Self::new(code, error.to_string())
    }
}

impl From<urna_election::VerifyError> for WebError {
    fn from(e: urna_election::VerifyError) -> Self {
        let mut error = Self::new("check_failed", e.to_string());
        error.check = Some(e.check.id());
        error.seq = e.seq;
        error.culprit = e.culprit;
        error
    }
}

/// Parses JSON handed over by a page.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    json: &str,
) -> Result<T, WebError> {
    serde_json::from_str(json).map_err(|e| WebError::new("bad_input", format!("{what}: {e}")))
}

/// Serialises an answer for a page.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, WebError> {
    serde_json::to_string(value).map_err(|e| WebError::from_error("internal", e))
}

pub type WebResult<T> = Result<T, WebError>;
