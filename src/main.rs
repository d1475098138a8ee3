//! qrcp-scan: find leaked QRCodePro API keys, committed .env files and keys exposed
//! to client-side JavaScript.
//!
//! `main` parses the command line, calls `app::run`, prints an error chain once and maps
//! the outcome to an exit status (0 clean, 1 findings, 2 error).

/// A table of the 256 byte values, `true` where the predicate holds of the
/// byte `b` (`byte_table!(|b| b.is_ascii_digit())`): a class read byte by
/// byte in hot loops (word characters, base64, encoded runs, identifiers)
/// costs one load, not a chain of comparisons.
macro_rules! byte_table {
    (|$b:ident| $pred:expr) => {{
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            t[i] = $pred;
            i += 1;
        }
        t
    }};
}

mod app;
mod audit;
mod cli;
mod config;
mod decode;
mod detect;
mod filter;
mod finding;
mod messages;
mod org;
mod progress;
mod redact;
mod report;
mod rules;
mod sanitize;
mod scan;
mod shell;
mod source;
mod stats;
mod time;
mod units;
mod verify;
mod wire;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use app::Exit;
use cli::Cli;

fn main() -> ExitCode {
    // Help wraps at the width human output fits (COLUMNS, else the terminal, else 100).
    let mut command = Cli::command().term_width(config::width(std::io::stdout().is_terminal()));
    // The matches are taken apart, not cloned (`from_arg_matches` clones them),
    // and the command is left to the process's exit: together 80,000
    // instructions, a twelfth of what `dir` on one small file adds to `--version`.
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m))
        .map_err(|e| e.format(&mut command));
    let cli = match parsed {
        Ok(cli) => {
            std::mem::forget(command);
            cli
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Error as u8
            } else {
                Exit::Clean as u8
            });
        }
    };
    match app::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // A multi-line cause (a regex error draws a caret under the pattern)
            // keeps its lines, each sanitised, instead of showing a literal `\n`.
            let msg = format!("{e:#}");
            let mut lines = msg.lines();
            eprintln!(
                "qrcp-scan: error: {}",
                sanitize::sanitize(lines.next().unwrap_or(""))
            );
            for line in lines {
                eprintln!("    {}", sanitize::sanitize(line));
            }
            ExitCode::from(Exit::Error as u8)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
