//! `pinlock completions` and `pinlock man`: shell completion scripts and man pages generated
//! from the command-line definition.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};
use crate::report::Reporter;

/// Prints the completion script for the shell on stdout.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pinlock", &mut buf);
    std::io::stdout().lock().write_all(&buf)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints pinlock.1, or writes one page per command into `--dir`.
pub fn man(args: ManArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let cmd = Cli::command();
    let Some(dir) = args.dir else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::io::stdout().lock().write_all(&buf)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // One page for pinlock and one per command (pinlock-lock.1, ...), `help` excluded.
    clap_mangen::generate_to(cmd, &dir)
        .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
    out.status("Wrote", format!("man pages into {}", dir.display()));
    Ok(ExitCode::SUCCESS)
}
