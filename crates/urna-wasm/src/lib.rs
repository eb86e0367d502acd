//! # urna-wasm
//!
//! What the web pages need from Urna's Rust core, compiled to WebAssembly: the voting booth
//! (credential from the link fragment, encrypt + prove + sign, Benaloh audit), the record
//! verifier (fed page by page, with progress), and a trustee's key ceremony and partial
//! decryption with the secrets sealed under the trustee's passphrase. No cryptography is
//! written in JavaScript.
//!
//! The modules are plain Rust, tested natively; `bindings` (wasm32 only) is the thin
//! `wasm-bindgen` layer the pages import (`web/pkg/urna_wasm.js`, built by `web/build.sh`).
//! Structured values cross the boundary as JSON text, in the API's wire format (spec/api.md),
//! so a page can hand the server's answers over unchanged.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod booth;
pub mod error;
pub mod trustee;
pub mod verifier;

#[cfg(target_arch = "wasm32")]
mod bindings;

pub use error::WebError;

#[cfg(test)]
mod testing;
