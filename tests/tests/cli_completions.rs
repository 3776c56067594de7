//! `pinlock completions` and `pinlock man`: scripts that shells accept, man pages that roff reads.

use pinlock_tests::{pinlock_bin, require_tool, Pinlock};

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
