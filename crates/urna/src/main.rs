//! `urna`: end-to-end verifiable elections from the command line.

#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod bench;
mod demo;
mod remote;
mod scenario;
mod serve;
mod trustee;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "urna", version, about = "End-to-end verifiable elections", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a complete election in one process and write its record.
    Demo(demo::DemoArgs),
    /// Verify an election record: every proof, the chain, the tally and the result.
    Verify(verify::VerifyArgs),
    /// A trustee's key ceremony and decryption: step by step on files, or against a server.
    #[command(subcommand)]
    Trustee(trustee::TrusteeCommand),
    /// Run the bulletin-board server (SQLite by default, PostgreSQL by URL).
    Serve(serve::ServeArgs),
    /// Manage admin accounts in the server's database.
    #[command(subcommand)]
    Admin(serve::AdminCommand),
    /// Make a consistent copy of the server's SQLite database while it runs.
    Backup(serve::BackupArgs),
    /// Restore a database from `urna backup`.
    Restore(serve::RestoreArgs),
    /// Download elections' records from a server (for `urna verify`).
    Record(remote::record::RecordArgs),
    /// Set up an election on a server and cast pre-encrypted ballots at it; report throughput.
    Loadtest(remote::loadtest::LoadtestArgs),
    /// Measure this machine: group operations, ballot verification naive and batched against
    /// its floor, aggregation, and ballots verified per second on every core.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Demo(args) => demo::run(args).map(|()| true),
        Command::Verify(args) => verify::run(args),
        Command::Trustee(command) => trustee::run(command).map(|()| true),
        Command::Serve(args) => serve::run_serve(args).map(|()| true),
        Command::Admin(command) => serve::run_admin(command).map(|()| true),
        Command::Backup(args) => serve::run_backup(args).map(|()| true),
        Command::Restore(args) => serve::run_restore(args).map(|()| true),
        Command::Record(args) => remote::record::run(args),
        Command::Loadtest(args) => remote::loadtest::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
