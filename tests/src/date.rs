//! Minimal date handling for Release `Date:` fields, gpg's `--faked-system-time` and HTTP dates.
//!
//! Only UTC is supported: Release files and HTTP use it, and the harness never needs local time.

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1-12, day 1-31) for days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn parts(epoch: i64) -> (i64, i64, i64, i64, i64, i64, &'static str) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = DAYS[days.rem_euclid(7) as usize];
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, wd)
}

/// Formats seconds since the epoch as a Release-file date, e.g. `Fri, 10 Mar 2023 11:47:13 UTC`.
pub fn format_release(epoch: i64) -> String {
    let (y, m, d, hh, mm, ss, wd) = parts(epoch);
    let mon = MONTHS[(m - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {hh:02}:{mm:02}:{ss:02} UTC")
}

/// Formats seconds since the epoch as an HTTP date, e.g. `Fri, 10 Mar 2023 11:47:13 GMT`.
pub fn format_http(epoch: i64) -> String {
    let (y, m, d, hh, mm, ss, wd) = parts(epoch);
    let mon = MONTHS[(m - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {hh:02}:{mm:02}:{ss:02} GMT")
}

/// Formats seconds since the epoch for `gpg --faked-system-time`, frozen (`20230310T114713!`).
pub fn format_gpg_frozen(epoch: i64) -> String {
    let (y, m, d, hh, mm, ss, _) = parts(epoch);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}!")
}

/// Parses an RFC 1123/2822 date in UTC (`Fri, 10 Mar 2023 11:47:13 +0000`, `... UTC`, `... GMT`,
/// weekday optional) into seconds since the epoch. Returns `None` for anything else, including
/// other time zones.
pub fn parse_rfc2822(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = match s.split_once(", ") {
        Some((_, rest)) => rest,
        None => s,
    };
    let f: Vec<&str> = s.split_whitespace().collect();
    if f.len() != 5 || !matches!(f[4], "UTC" | "GMT" | "+0000" | "Z") {
        return None;
    }
    let d: i64 = f[0].parse().ok()?;
    let m = MONTHS.iter().position(|x| *x == f[1])? as i64 + 1;
    let y: i64 = f[2].parse().ok()?;
    let t: Vec<i64> = f[3]
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if t.len() != 3 || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        let e = parse_rfc2822("Fri, 10 Mar 2023 11:47:13 +0000").unwrap();
        assert_eq!(e, 1_678_448_833);
        assert_eq!(format_release(e), "Fri, 10 Mar 2023 11:47:13 UTC");
        assert_eq!(format_http(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_gpg_frozen(e), "20230310T114713!");
        assert_eq!(
            parse_rfc2822("Mon, 12 Jun 2023 08:21:52 GMT"),
            Some(1_686_558_112)
        );
        assert_eq!(parse_rfc2822("Mon, 12 Jun 2023 08:21:52 +0200"), None);
    }
}
