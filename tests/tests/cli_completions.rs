//! `pinlock completions` and `pinlock man`: scripts that shells accept, man pages that roff reads.

use pinlock_tests::{commands, long_options, pinlock_bin, require_tool, Pinlock};

#[test]
fn bash_completions_mention_commands_and_source_cleanly() {
    let p = Pinlock::new();
    let run = p.run(&["completions", "bash"]);
    run.success();
    assert!(!run.stdout.trim().is_empty(), "empty bash completions");
    for word in ["lock", "pin", "outdated", "--manifest", "--lockfile"] {
        assert!(run.stdout.contains(word), "bash completions lack {word}");
    }
    if !require_tool("bash") {
        return;
    }
    // Sourcing defines the completion function and registers it for `pinlock`.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -e; source <('{}' completions bash); complete -p pinlock",
            pinlock_bin().display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("pinlock"),
        "sourcing the bash completions failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bash_completion_completes_subcommands() {
    if !require_tool("bash") {
        return;
    }
    let p = Pinlock::new();
    let run = p.run(&["completions", "bash"]);
    run.success();
    let script = p.home().join("pinlock.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    // Drive the completion function as bash would for `pinlock lo<TAB>`.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(pinlock lo); COMP_CWORD=1; COMP_LINE='pinlock lo'; COMP_POINT=10; \
             $(complete -p pinlock | sed -E 's/.*-F ([^ ]+).*/\\1/') pinlock lo pinlock; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["lock"],
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn zsh_and_fish_completions_are_generated() {
    let p = Pinlock::new();
    let zsh = p.run(&["completions", "zsh"]);
    zsh.success();
    assert!(zsh.stdout.starts_with("#compdef pinlock"), "{}", zsh.stdout);
    let fish = p.run(&["completions", "fish"]);
    fish.success();
    assert!(
        fish.stdout.contains("complete -c pinlock") && fish.stdout.contains("lock"),
        "{}",
        fish.stdout
    );
    let bad = p.run(&["completions", "powershell-nope"]);
    bad.expect_code(2);
}

#[test]
fn man_pages_are_written_per_command() {
    let p = Pinlock::new();
    let page = p.run(&["man"]);
    page.success();
    assert!(page.stdout.contains(".TH pinlock 1"), "{}", page.stdout);
    let dir = p.home().join("man1");
    p.run(&["man", "--dir", dir.to_str().unwrap()]).success();
    for cmd in ["pinlock", "pinlock-lock", "pinlock-pin", "pinlock-update"] {
        let text = std::fs::read_to_string(dir.join(format!("{cmd}.1")))
            .unwrap_or_else(|e| panic!("{cmd}.1: {e}"));
        assert!(text.contains(".TH"), "{cmd}.1 is not a man page");
    }
    let lock = std::fs::read_to_string(dir.join("pinlock-lock.1")).unwrap();
    assert!(lock.contains("pinlock lock \\-\\-check"), "{lock}");
    if !require_tool("man") {
        return;
    }
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(dir.join("pinlock-lock.1"))
        .env("MANPAGER", "cat")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("--allow-rollback"), "{text}");
}

/// Every `--long` option of `pinlock --help` and of each command's `help`.
fn options_in_help(p: &Pinlock) -> std::collections::BTreeSet<String> {
    let mut helps = vec![p.run(&["--help"]).stdout];
    for cmd in commands(p) {
        helps.push(p.run(&["help", &cmd]).stdout);
    }
    helps.iter().flat_map(|h| long_options(h)).collect()
}

/// Completions offer what `--help` shows and nothing hidden (`--now` was, through bash's list).
#[test]
fn completions_offer_only_the_options_help_shows() {
    let p = Pinlock::new();
    let visible = options_in_help(&p);
    assert!(visible.contains("--manifest") && visible.contains("--check"));
    for shell in ["bash", "zsh", "fish"] {
        let script = p.run(&["completions", shell]);
        script.success();
        // fish spells long options `-l name`: compare bash and zsh word for word
        if shell != "fish" {
            for opt in long_options(&script.stdout) {
                assert!(
                    visible.contains(&opt),
                    "{shell} completions offer {opt}, which no --help shows"
                );
            }
        }
        assert!(
            !script.stdout.contains("--now") && !script.stdout.contains("-l now"),
            "{shell} completions offer the hidden --now"
        );
    }
}

/// Man pages: EXAMPLES, EXIT STATUS and ENVIRONMENT sections (not clap_mangen's "EXTRA"),
/// example lines kept as written (no fill), and every page they name exists.
#[test]
fn man_pages_have_examples_exit_status_environment_and_name_only_written_pages() {
    let p = Pinlock::new();
    let dir = p.home().join("man1");
    p.run(&["man", "--dir", dir.to_str().unwrap()]).success();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"pinlock.1".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        for section in [".SH EXAMPLES", ".SH EXIT STATUS", ".SH ENVIRONMENT"] {
            assert!(text.contains(section), "{name} has no {section}");
        }
        assert!(!text.contains(".SH EXTRA"), "{name} has an EXTRA section");
        // the examples are a no-fill block
        let examples = text.split(".SH EXAMPLES").nth(1).unwrap();
        let block = examples.split(".SH ").next().unwrap();
        assert!(
            block.contains(".nf\n") && block.contains(".fi\n"),
            "{name}: {block}"
        );
        // every pinlock page it names is written
        let mut rest = text.as_str();
        while let Some(i) = rest.find("pinlock\\-") {
            let word: String = rest[i + "pinlock\\-".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect();
            let after = &rest[i + "pinlock\\-".len() + word.len()..];
            if after.starts_with("(1)") || after.starts_with("\\fR(1)") {
                assert!(
                    names.contains(&format!("pinlock-{word}.1")),
                    "{name} names pinlock-{word}(1), which is not written"
                );
            }
            rest = &rest[i + 1..];
        }
    }
    let top = p.run(&["man"]);
    top.success();
    assert!(!top.stdout.contains("pinlock\\-help"), "{}", top.stdout);
    assert_eq!(
        top.stdout,
        std::fs::read_to_string(dir.join("pinlock.1")).unwrap()
    );
}
