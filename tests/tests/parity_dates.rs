//! Time rules against the real apt: apt 2.6 verifies through `apt-key verify`, which runs
//! `gpgv --ignore-time-conflict`, so a signature (or key) made in the future is fine; the only
//! future check is the Release `Date`, refused when it lies more than
//! `Acquire::Max-FutureTime` (default 10 s) ahead. Each test builds a signed fixture repository,
//! serves it and asks apt (in a sandbox) and pinlock.

use pinlock_core::release::{Release, APT_MAX_FUTURE_TIME};
use pinlock_tests::{
    fixture, require_apt_tools, AptSandbox, BuiltRepo, HarnessError, Pinlock, RepoBuilder, Server,
};

const SUITE: &str = "buster";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn line(repo: &BuiltRepo, srv: &Server) -> String {
    format!(
        "deb [arch=amd64 signed-by={}] {} {SUITE} stable",
        repo.key_asc.display(),
        srv.url()
    )
}

/// The creation time (Unix seconds) of the signature in `path`, as `gpg --list-packets` reads it.
fn signature_created(path: &std::path::Path) -> i64 {
    let home = tempfile::Builder::new()
        .prefix("plk-g.")
        .tempdir_in("/tmp")
        .unwrap();
    let out = std::process::Command::new("gpg")
        .env("GNUPGHOME", home.path())
        .args(["--batch", "--list-packets"])
        .arg(path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // ":signature packet: algo 1, keyid …" then "\tversion 4, created 1767225600, md5len 0, …"
    text.split(":signature packet")
        .nth(1)
        .and_then(|sig| sig.lines().nth(1))
        .and_then(|l| l.split(", ").find_map(|f| f.strip_prefix("created ")))
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no signature creation time in {}:\n{text}", path.display()))
}

/// `apt-get update` in a fresh sandbox: `Ok` or apt's error lines.
fn apt_update(src: &str) -> (AptSandbox, Result<(), String>) {
    let apt = AptSandbox::new(&[src], &["amd64"]).unwrap();
    let r = match apt.update() {
        Ok(()) => Ok(()),
        Err(e @ HarnessError::AptRejected { .. }) => Err(e.apt_lines().join("\n")),
        Err(e) => panic!("apt could not run: {e}"),
    };
    (apt, r)
}

/// `pinlock versions --json docker-ce`: the versions, or the exit code and stderr.
fn pinlock_versions(src: &str) -> Result<Vec<String>, (i32, String)> {
    let run = Pinlock::new().run(&["-q", "versions", "--json", "--source", src, "docker-ce"]);
    if run.code != 0 {
        return Err((run.code, run.stderr.clone()));
    }
    let json = run.json();
    let mut v: Vec<String> = Vec::new();
    for e in json["packages"]["docker-ce"].as_array().unwrap() {
        let s = e["version"].as_str().unwrap().to_string();
        if !v.contains(&s) {
            v.push(s);
        }
    }
    Ok(v)
}

fn release_of(repo: &BuiltRepo) -> Release {
    Release::parse(&repo.release(SUITE).unwrap(), "Release").unwrap()
}

#[test]
fn signature_made_a_year_ahead_with_a_past_date_is_accepted_like_apt() {
    if !require_apt_tools() {
        return;
    }
    // Date 2023-06-12 (fixture); the signatures claim to be made a year from now
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let ahead = now() + 365 * 86_400;
    repo.resign_release(SUITE, ahead).unwrap();
    // (gpg --list-packets does not show a clearsigned file's signature; InRelease was signed
    // by the same call with the same frozen clock)
    let made = signature_created(&repo.dist_dir(SUITE).join("Release.gpg"));
    assert!(
        (ahead - 60..=ahead + 60).contains(&made),
        "{made} vs {ahead}"
    );
    let srv = Server::serve(repo.path());
    let src = line(&repo, &srv);
    let (apt, verdict) = apt_update(&src);
    verdict.unwrap_or_else(|e| panic!("apt refused a future signature: {e}"));
    let ours = pinlock_versions(&src)
        .unwrap_or_else(|(c, e)| panic!("pinlock refused (exit {c}) what apt accepts: {e}"));
    let theirs = apt.versions("docker-ce").unwrap();
    assert!(theirs.len() >= 5, "{theirs:?}");
    assert_eq!(ours, theirs, "pinlock (left) vs apt-cache madison (right)");
}

#[test]
fn release_date_a_few_seconds_ahead_is_accepted_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let t0 = now();
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .date(t0 + 5)
        .build()
        .unwrap();
    assert!(!release_of(&repo).not_yet_valid(t0));
    let srv = Server::serve(repo.path());
    let src = line(&repo, &srv);
    let (apt, verdict) = apt_update(&src);
    verdict.unwrap_or_else(|e| panic!("apt refused a Date 5 s ahead: {e}"));
    let ours = pinlock_versions(&src)
        .unwrap_or_else(|(c, e)| panic!("pinlock refused (exit {c}) what apt accepts: {e}"));
    assert_eq!(ours, apt.versions("docker-ce").unwrap());
}

/// apt refuses a Date two minutes ahead; so does pinlock's rule [`Release::not_yet_valid`].
#[test]
fn release_date_two_minutes_ahead_is_refused_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let t0 = now();
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .date(t0 + 120)
        .build()
        .unwrap();
    let srv = Server::serve(repo.path());
    let (_apt, verdict) = apt_update(&line(&repo, &srv));
    let t1 = now();
    let lines = verdict.expect_err("apt accepted a Release dated two minutes ahead");
    assert!(lines.contains("is not valid yet"), "{lines}");
    // apt says "(invalid for another 1min 50s)": Date - now - Max-FutureTime
    let n = lines
        .split("invalid for another ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(apt_duration)
        .unwrap_or_else(|| panic!("no \"invalid for another ...\" in {lines}"));
    let max = APT_MAX_FUTURE_TIME.as_secs() as i64;
    assert!(
        (120 - (t1 - t0) - max..=120 - max).contains(&n),
        "apt's allowance is not {max} s: Date is now+120 s, apt says {n} s to go (t1-t0 = {})",
        t1 - t0
    );
    assert!(release_of(&repo).not_yet_valid(t1));
}

/// Seconds in apt's `TimeToStr` form (`1min 50s`, `2h 3min 4s`, `5s`).
fn apt_duration(s: &str) -> Option<i64> {
    let mut total = 0;
    for part in s.split_whitespace() {
        let digits = part.find(|c: char| !c.is_ascii_digit())?;
        let n: i64 = part[..digits].parse().ok()?;
        total += n * match &part[digits..] {
            "d" => 86_400,
            "h" => 3600,
            "min" => 60,
            "s" => 1,
            _ => return None,
        };
    }
    Some(total)
}

/// The same through the `pinlock` binary. Ignored until `repository.rs` checks the Date with
/// [`Release::not_yet_valid`] (today it allows `DATE_SKEW` = 5 min, 30 times apt's 10 s).
#[test]
fn pinlock_refuses_a_release_date_a_minute_ahead_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .date(now() + 60)
        .build()
        .unwrap();
    let srv = Server::serve(repo.path());
    let src = line(&repo, &srv);
    assert!(apt_update(&src).1.is_err(), "apt accepted");
    let (code, stderr) = pinlock_versions(&src).expect_err("pinlock accepted");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not valid yet"), "{stderr}");
}

/// Release `Date` and `Valid-Until` forms (issue 16 item 5), each put into a signed Release and
/// shown to apt and pinlock: both must take it, or both refuse it. apt reads both fields with
/// `RFC1123StrToTime`: RFC 1123 dates in UTC (`GMT`, `UTC`, `Z` or a zero numeric zone), RFC 850
/// and asctime dates; an unreadable `Date` is a warning, an unreadable `Valid-Until` refuses the
/// Release.
#[test]
fn release_date_forms_are_read_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let cases: &[(&str, Option<&str>, bool)] = &[
        // (Date, Valid-Until, apt accepts)
        ("Mon, 12 Jun 2023 10:00:00 UTC", None, true),
        ("Mon Jun 12 10:00:00 2023", None, true),
        ("Monday, 12-Jun-23 10:00:00 GMT", None, true),
        ("Mon, 12 Jun 2023 10:00:00 +0000", None, true),
        // unreadable Date: apt warns and goes on
        ("Mon, 12 Jun 2023 10:00:00 +0200", None, true),
        ("12 Jun 2023 10:00:00 UTC", None, true),
        ("someday", None, true),
        // Valid-Until: far ahead in every form apt reads
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thu, 01 Jan 2099 00:00:00 UTC"),
            true,
        ),
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thu, 01 Jan 2099 00:00:00 -0000"),
            true,
        ),
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thu Jan  1 00:00:00 2099"),
            true,
        ),
        // ... but a zone other than UTC, or none, is refused
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thu, 01 Jan 2099 00:00:00 +0100"),
            false,
        ),
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thu, 01 Jan 2099 00:00:00"),
            false,
        ),
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("01 Jan 2099 00:00:00 UTC"),
            false,
        ),
        // RFC 850's two-digit year is 1900 + yy for apt: 1999, long expired
        (
            "Mon, 12 Jun 2023 10:00:00 UTC",
            Some("Thursday, 01-Jan-99 00:00:00 GMT"),
            false,
        ),
    ];
    let mut wrong = Vec::new();
    for &(date, valid_until, apt_accepts) in cases {
        let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
        repo.rewrite_release(SUITE, |t| {
            let old = t.lines().find(|l| l.starts_with("Date: ")).unwrap();
            let mut new = format!("Date: {date}");
            if let Some(v) = valid_until {
                new.push_str(&format!("\nValid-Until: {v}"));
            }
            t.replacen(old, &new, 1)
        })
        .unwrap();
        let srv = Server::serve(repo.path());
        let src = line(&repo, &srv);
        let (apt, verdict) = apt_update(&src);
        let apt_ok = verdict.is_ok();
        assert_eq!(
            apt_ok, apt_accepts,
            "apt's verdict on Date {date:?} Valid-Until {valid_until:?} changed: {verdict:?}"
        );
        let ours = pinlock_versions(&src);
        match (&ours, apt_ok) {
            (Ok(v), true) if *v == apt.versions("docker-ce").unwrap() => {}
            (Err((2, _)), false) => {}
            _ => wrong.push(format!(
                "Date {date:?} Valid-Until {valid_until:?}: apt {verdict:?}, pinlock {ours:?}"
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "pinlock differs from apt:\n{}",
        wrong.join("\n")
    );
}
