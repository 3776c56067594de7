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
    let cmd = man_command();
    let Some(dir) = args.dir else {
        std::io::stdout()
            .lock()
            .write_all(&page(&cmd, &cmd, false)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // One page for pinlock and one per visible command (pinlock-lock.1, ...); `help` is not a
    // command of the man pages (`man pinlock-lock` is its help), so no page names it.
    let mut pages = vec![("pinlock.1".to_string(), page(&cmd, &cmd, false)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push((
            format!("pinlock-{}.1", sub.get_name()),
            page(&cmd, sub, true)?,
        ));
    }
    for (name, bytes) in pages {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    out.status("Wrote", format!("man pages into {}", dir.display()));
    Ok(ExitCode::SUCCESS)
}

/// The command line as the man pages show it: built, without the `help` subcommand.
fn man_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// One man page: clap_mangen's title, NAME, SYNOPSIS, DESCRIPTION, OPTIONS (and COMMANDS on
/// pinlock.1), then the `after_help` text as EXAMPLES, EXIT STATUS and ENVIRONMENT sections
/// (a command's page takes pinlock's exit codes and environment when it has none of its own),
/// example blocks kept as written (no fill, no justification), and SEE ALSO.
fn page(top: &clap::Command, cmd: &clap::Command, is_sub: bool) -> anyhow::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf)?;
    }
    let own = after_help_sections(cmd);
    let inherited = after_help_sections(top);
    let mut sections: Vec<(&str, Block)> = Vec::new();
    for title in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "NOTES"] {
        let from = own.iter().find(|(t, _)| *t == title).or_else(|| {
            (is_sub && matches!(title, "EXIT STATUS" | "ENVIRONMENT"))
                .then(|| inherited.iter().find(|(t, _)| *t == title))
                .flatten()
        });
        if let Some((t, b)) = from {
            sections.push((t, b.clone()));
        }
    }
    let mut roff = String::new();
    for (title, block) in sections {
        roff.push_str(&format!(".SH {title}\n"));
        match block {
            Block::Lines(lines) => {
                roff.push_str(".PP\n.nf\n.ad l\n");
                for l in lines {
                    roff.push_str(&escape(&l));
                    roff.push('\n');
                }
                roff.push_str(".fi\n.ad b\n");
            }
            Block::Text(text) => {
                roff.push_str(".PP\n");
                roff.push_str(&escape(&text));
                roff.push('\n');
            }
        }
    }
    roff.push_str(".SH \"SEE ALSO\"\n");
    let see: Vec<String> = if is_sub {
        vec![format!("\\fBpinlock\\fR(1)")]
    } else {
        top.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("\\fBpinlock\\-{}\\fR(1)", s.get_name()))
            .collect()
    };
    roff.push_str(&see.join(", "));
    roff.push('\n');
    buf.extend_from_slice(roff.as_bytes());
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

/// A section's body: lines kept as written, or one paragraph to fill.
#[derive(Clone, Debug)]
enum Block {
    Lines(Vec<String>),
    Text(String),
}

/// The `after_help` text of `cmd` cut into man sections: a block headed `Examples:`,
/// `Exit codes:` or `Environment:` (blocks are separated by blank lines) becomes EXAMPLES, EXIT
/// STATUS or ENVIRONMENT; text on the heading's own line is a paragraph; other blocks are NOTES.
fn after_help_sections(cmd: &clap::Command) -> Vec<(&'static str, Block)> {
    let text = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut out = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let (first, rest) = block.split_once('\n').unwrap_or((block, ""));
        let heading = [
            ("Examples:", "EXAMPLES"),
            ("Exit codes:", "EXIT STATUS"),
            ("Environment:", "ENVIRONMENT"),
        ]
        .into_iter()
        .find(|(h, _)| first.starts_with(h));
        match heading {
            Some((h, title)) => {
                let same_line = first[h.len()..].trim();
                if !same_line.is_empty() && rest.is_empty() {
                    out.push((title, Block::Text(same_line.to_string())));
                } else {
                    out.push((
                        title,
                        Block::Lines(rest.lines().map(str::to_string).collect()),
                    ));
                }
            }
            None => out.push((
                "NOTES",
                Block::Text(block.split_whitespace().collect::<Vec<_>>().join(" ")),
            )),
        }
    }
    out
}

/// Text as roff input: backslashes and dashes escaped, a line starting with `.` or `'` guarded.
fn escape(text: &str) -> String {
    let mut s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with(['.', '\'']) {
        s.insert_str(0, "\\&");
    }
    s
}
