//! The README and `pinlock help` agree: every flag the README's command table gives a command
//! is in that command's help, the global flags and environment variables the README lists are in
//! `pinlock --help`, and every command of `pinlock --help` has a row.

use pinlock_tests::{commands, long_options, Pinlock};

fn readme() -> String {
    let root = pinlock_tests::testdata_dir()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::read_to_string(root.join("README.md")).unwrap()
}

#[test]
fn readme_command_table_flags_are_in_each_commands_help() {
    let readme = readme();
    let p = Pinlock::new();
    let top = p.run(&["--help"]).stdout;
    let mut rows = 0;
    for line in readme.lines().filter(|l| l.starts_with("| `pinlock ")) {
        let usage = line.split('|').nth(1).unwrap();
        let cmd = usage
            .trim()
            .trim_start_matches("`pinlock ")
            .split([' ', '`'])
            .next()
            .unwrap();
        rows += 1;
        let help = p.run(&["help", cmd]);
        help.success();
        for flag in long_options(usage) {
            assert!(
                help.stdout.contains(&flag),
                "README gives `pinlock {cmd} {flag}`, which `pinlock help {cmd}` does not show"
            );
        }
        assert!(
            top.contains(&format!("  {cmd} ")),
            "{cmd} not in pinlock --help"
        );
    }
    assert!(rows >= 6, "README command table not found");
    for cmd in commands(&p) {
        assert!(
            readme.contains(&format!("`pinlock {cmd}")),
            "`pinlock {cmd}` has no row in the README"
        );
    }
}

#[test]
fn readme_global_flags_and_environment_are_in_the_top_help() {
    let readme = readme();
    let top = Pinlock::new().run(&["--help"]).stdout;
    let global = readme
        .split("\nGlobal: ")
        .nth(1)
        .expect("README's Global: paragraph")
        .split("\n\n")
        .next()
        .unwrap();
    // the flags, before the exit codes (which name command flags)
    let global = global.split("Exit codes:").next().unwrap();
    for flag in long_options(global) {
        assert!(
            top.contains(&flag),
            "README's global {flag} is not in pinlock --help"
        );
    }
    for var in [
        "PINLOCK_MANIFEST",
        "PINLOCK_CACHE_DIR",
        "NO_COLOR",
        "RUST_LOG",
    ] {
        assert!(top.contains(var), "{var} not in pinlock --help");
        assert!(readme.contains(var), "{var} not in the README");
    }
    // the same exit codes
    for (code, readme_words) in [
        ("1", "a check found"),
        ("2", "error"),
        ("10", "`update` made a proposal"),
    ] {
        assert!(
            top.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit code {code} not in pinlock --help"
        );
        assert!(readme.contains(readme_words), "README: {readme_words}");
    }
}
