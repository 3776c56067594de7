//! Hostile Release files, properly signed so that only the content is hostile: a huge Release
//! (many file entries, under and over apt's 10 MB limit), a 1 MB field, an empty or interrupted
//! SHA256 section, malformed hash lines (wrong column count, non-hex digest, size that is not a
//! number), duplicate entries for one file, CRLF line ends, an unparsable `Date` or
//! `Valid-Until`.
//!
//! Each case runs the real apt (sandboxed) and `pinlock versions` against the same repository
//! and asserts the same verdict: where apt accepts, pinlock lists the same newest version; where
//! apt refuses, pinlock exits 2 with a clear error (insta snapshot, port replaced). Where pinlock
//! is deliberately stricter than apt (a Release without a usable `Date`, which rollback
//! detection needs) the test says so.

use std::time::Duration;

use pinlock_tests::{
    fixture, redact, require_apt_tools, AptSandbox, BuiltRepo, HarnessError, Pinlock, PinlockRun,
    RepoBuilder, Server, SignMode,
};

const SUITE: &str = "buster";
const NEWEST: &str = "5:24.0.2-1~debian.10~buster";
/// Wall-time bound for one `pinlock versions` run on a hostile Release (debug build).
const MAX_SECS: u64 = 30;

/// A repository whose Release was rewritten by `edit` and signed again (`mode`), served.
struct Hostile {
    repo: BuiltRepo,
    srv: Server,
}

impl Hostile {
    fn new(mode: SignMode, edit: impl FnOnce(&str) -> String) -> Hostile {
        let repo = RepoBuilder::new(fixture("docker-debian"))
            .sign(mode)
            .build()
            .unwrap();
        repo.rewrite_release(SUITE, edit).unwrap();
        let srv = Server::serve(repo.path());
        Hostile { repo, srv }
    }

    fn line(&self) -> String {
        format!(
            "deb [arch=amd64 signed-by={}] {} {SUITE} stable",
            self.repo.key_asc.display(),
            self.srv.url()
        )
    }

    /// apt's verdict: `Ok(candidate of docker-ce)` or its error lines.
    fn apt(&self) -> Result<Option<String>, String> {
        let apt = AptSandbox::new(&[self.line()], &["amd64"]).unwrap();
        match apt.update() {
            Ok(()) => Ok(apt.candidate("docker-ce").unwrap()),
            Err(e @ HarnessError::AptRejected { .. }) => Err(e.apt_lines().join("\n")),
            Err(e) => panic!("apt could not run: {e}"),
        }
    }

    fn pinlock(&self) -> PinlockRun {
        let src = self.line();
        let run =
            Pinlock::new().run(&["--retries", "0", "versions", "--source", &src, "docker-ce"]);
        assert!(run.code == 0 || run.code == 2, "crash: {run:?}");
        assert!(
            run.elapsed < Duration::from_secs(MAX_SECS),
            "took {:?}",
            run.elapsed
        );
        run
    }

    /// apt and pinlock both read the repository and see the same newest docker-ce.
    fn both_accept(&self) {
        match self.apt() {
            Ok(c) => assert_eq!(c.as_deref(), Some(NEWEST), "apt's candidate"),
            Err(lines) => panic!("apt refused:\n{lines}"),
        }
        let run = self.pinlock();
        run.success();
        assert!(run.stdout.contains(NEWEST), "{}", run.stdout);
    }

    /// apt refuses saying `apt_says`; pinlock exits 2 and says `reason`; snapshot as `name`.
    fn both_refuse(&self, name: &str, apt_says: &str, reason: &str) {
        let lines = self.apt().expect_err("apt accepted the repository");
        assert!(
            lines.contains(apt_says),
            "expected apt to say {apt_says:?}:\n{lines}"
        );
        let run = self.pinlock();
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains(reason),
            "no {reason:?} in:\n{}",
            run.stderr
        );
        insta::assert_snapshot!(
            name,
            redact(&run.stderr, &[(&self.srv.url(), "http://[SERVER]")])
        );
    }
}

/// Applies `f` to the lines of hash section `section` (without their leading space).
fn edit_section(text: &str, section: &str, f: impl FnOnce(Vec<String>) -> Vec<String>) -> String {
    let head = format!("{section}:\n");
    let start = text.find(&head).expect("section present") + head.len();
    let len: usize = text[start..]
        .split_inclusive('\n')
        .take_while(|l| l.starts_with(' '))
        .map(str::len)
        .sum();
    let lines: Vec<String> = text[start..start + len]
        .lines()
        .map(|l| l[1..].to_string())
        .collect();
    let new: String = f(lines).iter().map(|l| format!(" {l}\n")).collect();
    format!("{}{new}{}", &text[..start], &text[start + len..])
}

/// The section's line for `path` (panics when absent).
fn entry(text: &str, section: &str, path: &str) -> String {
    let mut found = None;
    edit_section(text, section, |lines| {
        found = lines
            .iter()
            .find(|l| l.ends_with(&format!(" {path}")))
            .cloned();
        lines
    });
    found.unwrap_or_else(|| panic!("no {section} entry for {path}"))
}

/// Every path of the amd64 index (served and listed variants).
const AMD64: [&str; 3] = [
    "stable/binary-amd64/Packages",
    "stable/binary-amd64/Packages.gz",
    "stable/binary-amd64/Packages.bz2",
];

/// `n` SHA256 lines for files nobody fetches.
fn filler(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{:064x} {:>16} main/binary-i{i}/Packages", i * 7919, i))
        .collect()
}

fn tools() -> bool {
    require_apt_tools()
}

#[test]
fn huge_release_under_apts_limit_is_read() {
    if !tools() {
        return;
    }
    // ~9.5 MB: 85,000 entries for files nobody fetches
    let h = Hostile::new(SignMode::InRelease, |t| {
        edit_section(t, "SHA256", |mut l| {
            l.extend(filler(85_000));
            l
        })
    });
    let size = h.repo.read("dists/buster/InRelease").unwrap().len();
    assert!((9_000_000..10_000_000).contains(&size), "{size}");
    h.both_accept();
}

#[test]
fn release_over_apts_10_mb_limit_is_refused() {
    if !tools() {
        return;
    }
    let h = Hostile::new(SignMode::InRelease, |t| {
        edit_section(t, "SHA256", |mut l| {
            l.extend(filler(100_000));
            l
        })
    });
    assert!(h.repo.read("dists/buster/InRelease").unwrap().len() > 10_000_000);
    h.both_refuse("over_10_mb", "unexpected size", "MaxReleaseFileSize");
}

#[test]
fn one_mb_field_is_read() {
    if !tools() {
        return;
    }
    // InRelease: gpg clearsigns lines up to 19,995 bytes, so the 1 MB value is folded
    let folded: String = (0..13_108)
        .map(|_| format!("\n {}", "x".repeat(79)))
        .collect();
    let h = Hostile::new(SignMode::InRelease, |t| {
        t.replacen(
            "Suite: buster\n",
            &format!("Suite: buster\nDescription: big{folded}\n"),
            1,
        )
    });
    h.both_accept();
    // Release + Release.gpg: one 1 MB line
    let h = Hostile::new(SignMode::Detached, |t| {
        let big = "x".repeat(1024 * 1024);
        t.replacen(
            "Suite: buster\n",
            &format!("Suite: buster\nDescription: {big}\n"),
            1,
        )
    });
    assert!(h.repo.read("dists/buster/Release").unwrap().len() > 1024 * 1024);
    h.both_accept();
}

#[test]
fn empty_sha256_section_falls_back_to_sha512() {
    if !tools() {
        return;
    }
    let h = Hostile::new(SignMode::Both, |t| {
        edit_section(t, "SHA256", |_| Vec::new())
    });
    assert!(h
        .repo
        .release(SUITE)
        .unwrap()
        .contains("SHA256:\nSHA512:\n"));
    h.both_accept();
}

#[test]
fn blank_line_in_the_sha256_section_is_refused() {
    if !tools() {
        return;
    }
    // the blank line ends the paragraph: the digests after it are not part of the Release
    let h = Hostile::new(SignMode::Both, |t| {
        t.replacen("SHA256:\n", "SHA256:\n\n", 1)
    });
    h.both_refuse(
        "blank_line_in_sha256",
        "weak security information",
        "InRelease:",
    );
}

#[test]
fn hash_line_with_wrong_column_count_is_refused() {
    if !tools() {
        return;
    }
    for (name, bad) in [
        ("two_columns", format!("{} 12", "a".repeat(64))),
        (
            "four_columns",
            format!("{} 12 main/binary-x/Packages extra", "a".repeat(64)),
        ),
    ] {
        let h = Hostile::new(SignMode::Both, |t| {
            edit_section(t, "SHA256", |mut l| {
                l.insert(0, bad.clone());
                l
            })
        });
        h.both_refuse(
            name,
            "weak security information",
            "expected `digest size path`",
        );
    }
}

#[test]
fn malformed_entries_for_files_nobody_fetches_are_ignored_as_apt_does() {
    if !tools() {
        return;
    }
    let a = "a".repeat(64);
    let h = Hostile::new(SignMode::Both, |t| {
        edit_section(t, "SHA256", |mut l| {
            l.extend([
                format!("{}z 12 main/binary-x/Packages", &a[1..]),
                "abcd 12 main/binary-y/Packages".to_string(),
                format!("{a} 12x main/binary-z/Packages"),
                format!("{a} -12 main/binary-w/Packages"),
            ]);
            l
        })
    });
    h.both_accept();
}

#[test]
fn size_with_trailing_garbage_is_read_as_apt_reads_it() {
    if !tools() {
        return;
    }
    // apt reads sizes with strtoull: "2066x" is 2066
    let h = Hostile::new(SignMode::Both, |t| {
        let mut t = t.to_string();
        for section in ["MD5Sum", "SHA1", "SHA256", "SHA512"] {
            t = edit_section(&t, section, |l| {
                l.into_iter()
                    .map(|x| {
                        if x.contains("binary-amd64") {
                            let mut f: Vec<String> =
                                x.split_whitespace().map(str::to_string).collect();
                            f[1].push('x');
                            f.join(" ")
                        } else {
                            x
                        }
                    })
                    .collect()
            });
        }
        t
    });
    assert!(h
        .repo
        .release(SUITE)
        .unwrap()
        .contains("x stable/binary-amd64/Packages\n"));
    h.both_accept();
}

#[test]
fn non_hex_digest_for_the_fetched_index_is_refused() {
    if !tools() {
        return;
    }
    let h = Hostile::new(SignMode::Both, |t| {
        edit_section(t, "SHA256", |l| {
            l.into_iter()
                .map(|x| {
                    if x.contains("binary-amd64") {
                        format!("zz{}", &x[2..])
                    } else {
                        x
                    }
                })
                .collect()
        })
    });
    h.both_refuse(
        "non_hex_digest_used",
        "Hash Sum mismatch",
        "hash sum mismatch",
    );
}

#[test]
fn duplicate_entries_the_first_one_counts_as_in_apt() {
    if !tools() {
        return;
    }
    let wrong = |t: &str| -> Vec<String> {
        AMD64
            .iter()
            .map(|p| {
                let e = entry(t, "SHA256", p);
                format!("{}{}", "0".repeat(64), &e[64..])
            })
            .collect()
    };
    // a wrong duplicate after the right one: ignored
    let h = Hostile::new(SignMode::Both, |t| {
        let w = wrong(t);
        edit_section(t, "SHA256", |mut l| {
            l.extend(w);
            l
        })
    });
    h.both_accept();
    // a wrong one before the right one: it is the one checked
    let h = Hostile::new(SignMode::Both, |t| {
        let w = wrong(t);
        edit_section(t, "SHA256", |l| w.into_iter().chain(l).collect())
    });
    h.both_refuse(
        "duplicate_wrong_first",
        "Hash Sum mismatch",
        "hash sum mismatch",
    );
}

#[test]
fn wrong_sha512_next_to_right_sha256_is_refused() {
    if !tools() {
        return;
    }
    let h = Hostile::new(SignMode::Both, |t| {
        edit_section(t, "SHA512", |l| {
            l.into_iter()
                .map(|x| {
                    if x.contains("binary-amd64") {
                        format!("{}{}", "0".repeat(128), &x[128..])
                    } else {
                        x
                    }
                })
                .collect()
        })
    });
    h.both_refuse("wrong_sha512", "Hash Sum mismatch", "hash sum mismatch");
}

#[test]
fn index_listed_with_weak_digests_only_is_not_read() {
    if !tools() {
        return;
    }
    // the amd64 index keeps only its MD5/SHA1 lines; arm64 keeps strong ones
    let h = Hostile::new(SignMode::Both, |t| {
        let mut t = t.to_string();
        for section in ["SHA256", "SHA512"] {
            t = edit_section(&t, section, |l| {
                l.into_iter()
                    .filter(|x| !x.contains("binary-amd64"))
                    .collect()
            });
        }
        t
    });
    // apt skips the index ("provides only weak security information for it"): no docker-ce
    assert_eq!(h.apt(), Ok(None));
    // pinlock must not read it either, and must say why (it said "not found" before)
    let run = h.pinlock();
    run.expect_code(2);
    assert!(!run.stdout.contains(NEWEST), "{}", run.stdout);
    assert!(
        run.stderr.contains("only with MD5/SHA1 digests"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!(
        "weak_index",
        redact(&run.stderr, &[(&h.srv.url(), "http://[SERVER]")])
    );
}

#[test]
fn crlf_line_ends_are_read() {
    if !tools() {
        return;
    }
    for mode in [SignMode::InRelease, SignMode::Detached] {
        let h = Hostile::new(mode, |t| t.replace('\n', "\r\n"));
        assert!(h.repo.release(SUITE).unwrap().contains("\r\nSHA256:\r\n"));
        h.both_accept();
    }
}

#[test]
fn unparsable_valid_until_is_refused() {
    if !tools() {
        return;
    }
    let h = Hostile::new(SignMode::Both, |t| {
        t.replacen(
            "Suite: buster\n",
            "Suite: buster\nValid-Until: next week\n",
            1,
        )
    });
    h.both_refuse(
        "valid_until_unparsable",
        "weak security information",
        "invalid Valid-Until \"next week\"",
    );
}

#[test]
fn unparsable_or_missing_date_is_a_warning_like_apt() {
    if !tools() {
        return;
    }
    // apt warns ("Invalid 'Date' entry in Release file") and uses the Release with Date 0;
    // pinlock did refuse it (issue 16 item 5), it now warns as apt does and reads it as dated
    // 1970, so that a lockfile with a real date reports a rollback (apt keeps its older copy)
    let date = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("Date: "))
            .expect("Date line")
            .to_string()
    };
    for (name, reason, edit) in [
        (
            "date_unparsable",
            "invalid Date \"yesterday\"",
            Box::new(move |t: &str| t.replacen(&date(t), "Date: yesterday", 1))
                as Box<dyn Fn(&str) -> String>,
        ),
        (
            "date_missing",
            "has no Date field",
            Box::new(move |t: &str| t.replacen(&format!("{}\n", date(t)), "", 1)),
        ),
    ] {
        let h = Hostile::new(SignMode::Both, edit);
        assert_eq!(
            h.apt(),
            Ok(Some(NEWEST.to_string())),
            "apt's verdict changed"
        );
        let run = h.pinlock();
        run.success();
        assert!(run.stdout.contains(NEWEST), "{}", run.stdout);
        assert!(run.stderr.contains(reason), "{}", run.stderr);
        insta::assert_snapshot!(
            name,
            redact(&run.stderr, &[(&h.srv.url(), "http://[SERVER]")])
        );
    }
}
