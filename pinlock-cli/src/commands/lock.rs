//! `pinlock lock`: resolve the manifest into the lockfile.

use std::process::ExitCode;

use crate::cli::{Global, LockArgs};
use crate::report::Reporter;

pub fn run(_g: &Global, _args: LockArgs, _out: &Reporter) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`pinlock lock` is not implemented yet")
}
