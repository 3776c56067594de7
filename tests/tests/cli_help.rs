//! `pinlock help <command>` teaches: every command's help has a description, an `Examples:`
//! section with a real invocation of that command, and every flag carries a description.

use pinlock_tests::{commands, Pinlock};

#[test]
fn every_command_help_has_examples_of_itself() {
    let p = Pinlock::new();
    let names = commands(&p);
    for want in [
        "versions",
        "lock",
        "pin",
        "init",
        "outdated",
        "update",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from `pinlock --help`: {names:?}"
        );
    }
    for name in &names {
        let run = p.run(&["help", name]);
        run.success();
        let help = &run.stdout;
        let examples = help
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("`pinlock help {name}` has no Examples: section:\n{help}"))
            .1;
        assert!(
            examples
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("pinlock {name}"))
                    || l.contains(&format!("<(pinlock {name}"))
                    || l.contains(&format!("pinlock {name} "))),
            "`pinlock help {name}` examples do not run `pinlock {name}`:\n{examples}"
        );
        // `--help` shows the same text as `help <cmd>`.
        let flag = p.run(&[name.as_str(), "--help"]);
        flag.success();
        assert_eq!(flag.stdout, run.stdout, "`pinlock {name} --help`");
    }
}

#[test]
fn every_flag_is_described() {
    let p = Pinlock::new();
    let mut names = commands(&p);
    names.push(String::new());
    for name in &names {
        let args: Vec<&str> = if name.is_empty() {
            vec!["--help"]
        } else {
            vec!["help", name]
        };
        let help = p.run(&args).stdout;
        let options = help.split("Examples:").next().unwrap();
        assert!(options.contains("--help"), "{name}:\n{help}");
        for line in options.lines() {
            let t = line.trim_start();
            if !(t.starts_with('-') && line.starts_with("  ")) {
                continue;
            }
            // "  -m, --manifest <FILE>  The manifest ...": a flag, two spaces, a description.
            let described = t
                .split_once("  ")
                .is_some_and(|(_, rest)| !rest.trim().is_empty());
            assert!(
                described,
                "`pinlock help {name}`: flag without a description: {line:?}"
            );
        }
    }
}

#[test]
fn top_level_help_documents_exit_codes_and_workflow() {
    let run = Pinlock::new().run(&["--help"]);
    run.success();
    for want in [
        "Examples:",
        "pinlock lock",
        "pinlock pin",
        "Exit codes:",
        "RUST_LOG",
        "NO_COLOR",
        "Global options:",
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn shared_flags_have_the_same_names_in_every_command() {
    // -m/--manifest and --lockfile mean the same thing wherever they appear.
    let p = Pinlock::new();
    for name in ["lock", "pin", "outdated", "update"] {
        let help = p.run(&["help", name]).stdout;
        assert!(help.contains("-m, --manifest <FILE>"), "{name}:\n{help}");
        assert!(help.contains("--lockfile <FILE>"), "{name}:\n{help}");
    }
    // Every command that reports something takes --json.
    for name in ["versions", "lock", "pin", "outdated", "update", "init"] {
        let help = p.run(&["help", name]).stdout;
        assert!(help.contains("--json"), "{name} has no --json:\n{help}");
    }
}
