//! The `mxlint` binary: parse the arguments, run, map the result to an exit code.
//! 0 clean, 1 findings, 2 usage/config/internal error or an unreadable file; EPIPE exits 0.

use clap::Parser;
use mxlint::cli::{self, Cli, RunError};
use std::io::{ErrorKind, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    match catch_unwind(AssertUnwindSafe(|| cli::run(args))) {
        Ok(Ok(status)) => ExitCode::from(status as u8),
        Ok(Err(RunError::Io(e))) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(&format!("error: {e}")),
        // The panic hook has already printed the message and location.
        Err(_) => fail("error: internal error in mxlint; please report it"),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{message}");
    ExitCode::from(2)
}
