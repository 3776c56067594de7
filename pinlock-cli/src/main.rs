//! `pinlock`: pin apt packages for Ansible fleets.
//!
//! Exit codes: 0 success; 1 a check found a difference (`--check`, `--locked`,
//! `outdated --exit-code`); 2 an error; `update` exits 10 when it made a proposal.

mod cli;
mod commands;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let out = report::Reporter::new(&cli.global);
    match commands::run(cli, &out) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            out.error(&err);
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
