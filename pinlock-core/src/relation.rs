//! Package relationship fields (`Depends`, `Recommends`, `Provides`, `Conflicts`, ...), as in
//! deb-control(5) and policy §7.1: a comma-separated list of alternatives (`a | b`), each a
//! package name with an optional `:arch` qualifier, an optional `(op version)` and an optional
//! `[arch list]` restriction. Build profiles (`<!nocheck>`) are accepted and ignored, as apt
//! does for binary packages.

use std::fmt;

/// A relation operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `<<`
    Lt,
    /// `<=` (and the obsolete `<`, which dpkg reads as `<=`)
    Le,
    /// `=`
    Eq,
    /// `>=` (and the obsolete `>`)
    Ge,
    /// `>>`
    Gt,
}

impl Op {
    /// Parses an operator as dpkg does (`<` and `>` are obsolete forms of `<=` and `>=`).
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<<" => Op::Lt,
            "<=" | "<" => Op::Le,
            "=" => Op::Eq,
            ">=" | ">" => Op::Ge,
            ">>" => Op::Gt,
            _ => return None,
        })
    }

    /// True if `ord` (the candidate compared with the relation's version) satisfies the operator.
    pub fn matches(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Eq => ord == Equal,
            Op::Ge => ord != Less,
            Op::Gt => ord == Greater,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One package relation: `name[:archqual] [(op version)] [[arch ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Relation {
    /// Package name.
    pub name: String,
    /// Architecture qualifier after `:` (`any`, `native`, or an architecture).
    pub arch_qualifier: Option<String>,
    /// Version constraint.
    pub version: Option<(Op, String)>,
    /// Architecture restriction list (`[amd64 !arm64]`): `(negated, arch)`.
    pub arch_restrictions: Vec<(bool, String)>,
}

impl Relation {
    /// True if the relation applies on `arch` (its `[...]` list, if any, admits `arch`).
    pub fn applies_to(&self, arch: &str) -> bool {
        if self.arch_restrictions.is_empty() {
            return true;
        }
        let negated = self.arch_restrictions[0].0;
        let listed = self
            .arch_restrictions
            .iter()
            .any(|(_, a)| debarch_is(arch, a));
        if negated {
            !listed
        } else {
            listed
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(q) = &self.arch_qualifier {
            write!(f, ":{q}")?;
        }
        if let Some((op, v)) = &self.version {
            write!(f, " ({op} {v})")?;
        }
        if !self.arch_restrictions.is_empty() {
            f.write_str(" [")?;
            for (i, (neg, a)) in self.arch_restrictions.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                if *neg {
                    f.write_str("!")?;
                }
                f.write_str(a)?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

/// A binary package's `Multi-Arch` field (deb-control(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum MultiArch {
    /// `no`, or no field: satisfies relations only from its own architecture.
    #[default]
    No,
    /// `same`: co-installable with itself across architectures; for relations, like `no`.
    Same,
    /// `foreign`: satisfies unqualified relations from any architecture, but not `:any`.
    Foreign,
    /// `allowed`: satisfies `pkg:any` relations (and, like `no`, unqualified ones from its
    /// own architecture).
    Allowed,
}

impl MultiArch {
    /// Reads the field's value (case-insensitive, trimmed). An absent or unknown value reads as
    /// [`MultiArch::No`], as apt does (it warns about an unknown value and treats it as `no`).
    pub fn parse(field: Option<&str>) -> MultiArch {
        match field.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("same") => MultiArch::Same,
            Some(v) if v.eq_ignore_ascii_case("foreign") => MultiArch::Foreign,
            Some(v) if v.eq_ignore_ascii_case("allowed") => MultiArch::Allowed,
            _ => MultiArch::No,
        }
    }
}

impl Relation {
    /// True if a package of architecture `pkg_arch` (`all` included) with `multi_arch` can
    /// satisfy this relation's architecture qualifier on a system whose native architecture is
    /// `native`, as apt 2.6 decides (checked against `apt-get install -s` in
    /// `tests/tests/parity_multiarch.rs`):
    ///
    /// - no qualifier, `:native`, `:all` or `:<native>`: a native or `all` package (or, for an
    ///   unqualified relation, a `Multi-Arch: foreign` package of any architecture);
    /// - `:any`: only a `Multi-Arch: allowed` package, of any architecture — not `foreign`,
    ///   `same` or `no`;
    /// - `:<other arch>`: only a package of exactly that architecture (never an `all` one,
    ///   which apt files under the native architecture).
    ///
    /// The version and the relation's `[arch]` restriction list are not looked at here.
    pub fn arch_matches(&self, pkg_arch: &str, multi_arch: MultiArch, native: &str) -> bool {
        let native_or_all = pkg_arch == native || pkg_arch == "all";
        match self.arch_qualifier.as_deref() {
            None => native_or_all || multi_arch == MultiArch::Foreign,
            Some("any") => multi_arch == MultiArch::Allowed,
            Some("native") | Some("all") => native_or_all,
            Some(q) if q == native => native_or_all,
            Some(q) => pkg_arch == q,
        }
    }
}

/// Alternatives: at least one must be satisfied (`a | b`).
pub type Alternatives = Vec<Relation>;

/// A relation field could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid relation {text:?}: {reason}")]
pub struct RelationError {
    /// The offending part of the field.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

fn err(text: &str, reason: &str) -> RelationError {
    RelationError {
        text: text.trim().to_string(),
        reason: reason.to_string(),
    }
}

/// Parses a relationship field into a conjunction of alternatives. Empty items (a trailing
/// comma, which dpkg tolerates) are skipped.
pub fn parse_relations(field: &str) -> Result<Vec<Alternatives>, RelationError> {
    let mut out = Vec::new();
    for item in field.split(',') {
        if item.trim().is_empty() {
            continue;
        }
        let mut alts = Vec::new();
        for alt in item.split('|') {
            alts.push(parse_one(alt)?);
        }
        out.push(alts);
    }
    Ok(out)
}

/// Parses one relation (`name[:q] [(op ver)] [[archs]] [<profiles>]`).
pub fn parse_one(text: &str) -> Result<Relation, RelationError> {
    let p = scan_one(text).map_err(|why| err(text, why))?;
    Ok(Relation {
        name: p.name.to_string(),
        arch_qualifier: p.arch_qualifier.map(str::to_string),
        version: p.version.map(|(op, v)| (op, v.to_string())),
        arch_restrictions: p
            .archs
            .split_whitespace()
            .map(|a| match a.strip_prefix('!') {
                Some(a) => (true, a.to_string()),
                None => (false, a.to_string()),
            })
            .collect(),
    })
}

/// One relation's parts, borrowed from its text (see [`scan_one`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RelationParts<'a> {
    /// Package name.
    pub name: &'a str,
    /// Architecture qualifier after `:`.
    pub arch_qualifier: Option<&'a str>,
    /// Operator and version.
    pub version: Option<(Op, &'a str)>,
    /// The words inside `[...]` (empty without a list); negated and plain ones do not mix.
    pub archs: &'a str,
}

/// The grammar and checks of [`parse_one`], without allocating: the parts of one relation
/// borrowed from `text`, or the reason it is invalid. Readers of tens of thousands of relations
/// (a universe's Provides) use it directly.
pub(crate) fn scan_one(text: &str) -> Result<RelationParts<'_>, &'static str> {
    let s = text.trim();
    let name_end = s
        .find(|c: char| c.is_whitespace() || c == '(' || c == '[' || c == '<')
        .unwrap_or(s.len());
    let (full_name, mut rest) = s.split_at(name_end);
    if full_name.is_empty() {
        return Err("missing package name");
    }
    let (name, arch_qualifier) = match full_name.split_once(':') {
        Some((n, q)) if !q.is_empty() => (n, Some(q)),
        Some(_) => return Err("empty architecture qualifier"),
        None => (full_name, None),
    };
    if !valid_relation_name(name) {
        return Err("invalid package name");
    }
    let mut parts = RelationParts {
        name,
        arch_qualifier,
        version: None,
        archs: "",
    };
    rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix('(') {
        let close = r.find(')').ok_or("unclosed `(`")?;
        let inner = r[..close].trim();
        let op_len = inner
            .find(|c: char| !matches!(c, '<' | '>' | '='))
            .unwrap_or(inner.len());
        let op = Op::parse(&inner[..op_len]).ok_or("invalid or missing version operator")?;
        let version = inner[op_len..].trim();
        if version.is_empty() || version.contains(char::is_whitespace) {
            return Err("invalid version in relation");
        }
        parts.version = Some((op, version));
        rest = r[close + 1..].trim_start();
    }
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or("unclosed `[`")?;
        parts.archs = &r[..close];
        let mut negated = None;
        for a in parts.archs.split_whitespace() {
            let neg = a.starts_with('!');
            if *negated.get_or_insert(neg) != neg {
                return Err("mixed negated and plain architectures");
            }
        }
        rest = r[close + 1..].trim_start();
    }
    while let Some(r) = rest.strip_prefix('<') {
        let close = r.find('>').ok_or("unclosed `<`")?;
        rest = r[close + 1..].trim_start();
    }
    if !rest.is_empty() {
        return Err("unexpected text after relation");
    }
    Ok(parts)
}

/// True if `name` may be named in a relation: dpkg's rule (`pkg_name_is_illegal`): an
/// alphanumeric first character, then letters, digits and `+ - .`; one character is enough
/// (dpkg's own tests depend on packages named `a`, `b`, ...).
pub fn valid_relation_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

/// dpkg's CPU names (`data/cputable`, column 1).
const CPUS: &[&str] = &[
    "i386",
    "ia64",
    "alpha",
    "amd64",
    "arc",
    "armeb",
    "arm",
    "arm64",
    "avr32",
    "hppa",
    "loong64",
    "m32r",
    "m68k",
    "mips",
    "mipsel",
    "mipsr6",
    "mipsr6el",
    "mips64",
    "mips64el",
    "mips64r6",
    "mips64r6el",
    "nios2",
    "or1k",
    "powerpc",
    "powerpcel",
    "ppc64",
    "ppc64el",
    "riscv64",
    "s390",
    "s390x",
    "sh3",
    "sh3eb",
    "sh4",
    "sh4eb",
    "sparc",
    "sparc64",
    "tilegx",
];

/// dpkg's `data/tupletable`: Debian arch tuple (abi-libc-os-cpu) and arch name, `<cpu>` for
/// any of [`CPUS`]; the first row that matches a name wins.
const TUPLES: &[(&str, &str)] = &[
    ("eabi-uclibc-linux-arm", "uclibc-linux-armel"),
    ("base-uclibc-linux-<cpu>", "uclibc-linux-<cpu>"),
    ("eabihf-musl-linux-arm", "musl-linux-armhf"),
    ("base-musl-linux-<cpu>", "musl-linux-<cpu>"),
    ("ilp32-gnu-linux-arm64", "arm64ilp32"),
    ("eabihf-gnu-linux-arm", "armhf"),
    ("eabi-gnu-linux-arm", "armel"),
    ("abin32-gnu-linux-mips64r6el", "mipsn32r6el"),
    ("abin32-gnu-linux-mips64r6", "mipsn32r6"),
    ("abin32-gnu-linux-mips64el", "mipsn32el"),
    ("abin32-gnu-linux-mips64", "mipsn32"),
    ("abi64-gnu-linux-mips64r6el", "mips64r6el"),
    ("abi64-gnu-linux-mips64r6", "mips64r6"),
    ("abi64-gnu-linux-mips64el", "mips64el"),
    ("abi64-gnu-linux-mips64", "mips64"),
    ("spe-gnu-linux-powerpc", "powerpcspe"),
    ("x32-gnu-linux-amd64", "x32"),
    ("base-gnu-linux-<cpu>", "<cpu>"),
    ("eabihf-gnu-kfreebsd-arm", "kfreebsd-armhf"),
    ("base-gnu-kfreebsd-<cpu>", "kfreebsd-<cpu>"),
    ("base-gnu-knetbsd-<cpu>", "knetbsd-<cpu>"),
    ("base-gnu-kopensolaris-<cpu>", "kopensolaris-<cpu>"),
    ("base-gnu-hurd-<cpu>", "hurd-<cpu>"),
    ("base-bsd-dragonflybsd-<cpu>", "dragonflybsd-<cpu>"),
    ("base-bsd-freebsd-<cpu>", "freebsd-<cpu>"),
    ("base-bsd-openbsd-<cpu>", "openbsd-<cpu>"),
    ("base-bsd-netbsd-<cpu>", "netbsd-<cpu>"),
    ("base-bsd-darwin-<cpu>", "darwin-<cpu>"),
    ("base-sysv-aix-<cpu>", "aix-<cpu>"),
    ("base-sysv-solaris-<cpu>", "solaris-<cpu>"),
    ("eabi-uclibc-uclinux-arm", "uclinux-armel"),
    ("base-uclibc-uclinux-<cpu>", "uclinux-<cpu>"),
    ("base-tos-mint-m68k", "mint-m68k"),
];

/// dpkg's `debarch_to_debtuple`: the (abi, libc, os, cpu) of an architecture name. Like
/// Dpkg::Arch, it first reads `linux-<name>` as `<name>` (up to the next `-`), so `linux-armhf`
/// is armhf (apt's test/libapt/cachefilter_test.cc relies on it too).
fn debarch_to_debtuple(arch: &str) -> Option<[String; 4]> {
    // Dpkg::Arch: `$arch = $1 if $arch =~ /^linux-([^-]*)/`
    let arch = match arch.strip_prefix("linux-") {
        Some(rest) => rest.split('-').next().unwrap_or(rest),
        None => arch,
    };
    for (tuple, name) in TUPLES {
        let cpu = match name.split_once("<cpu>") {
            None if *name == arch => None,
            None => continue,
            Some((pre, post)) => match arch
                .strip_prefix(pre)
                .and_then(|r| r.strip_suffix(post))
                .filter(|c| CPUS.contains(c))
            {
                Some(c) => Some(c),
                None => continue,
            },
        };
        let t = match cpu {
            Some(c) => tuple.replace("<cpu>", c),
            None => tuple.to_string(),
        };
        let mut it = t.splitn(4, '-').map(str::to_string);
        return Some([it.next()?, it.next()?, it.next()?, it.next()?]);
    }
    None
}

/// dpkg's `debwildcard_to_debtuple`: a wildcard (`linux-any`, `any-amd64`, `gnu-any-any`) fills
/// its missing leading parts with `any`; a plain name is looked up.
fn debwildcard_to_debtuple(alias: &str) -> Option<[String; 4]> {
    let parts: Vec<&str> = alias.splitn(4, '-').collect();
    if !parts.contains(&"any") {
        return debarch_to_debtuple(alias);
    }
    let mut t: [String; 4] = Default::default();
    let skip = 4 - parts.len().min(4);
    if parts.len() < 2 {
        t.iter_mut().for_each(|p| *p = "any".into());
        return Some(t);
    }
    for (i, p) in t.iter_mut().enumerate() {
        *p = if i < skip { "any" } else { parts[i - skip] }.to_string();
    }
    Some(t)
}

/// dpkg's `debarch_is` (Dpkg::Arch): true if architecture `real` is matched by `alias`, an
/// architecture name or a wildcard (`any`, `linux-any`, `any-amd64`, `<os>-<cpu>` tuples).
pub fn debarch_is(real: &str, alias: &str) -> bool {
    if alias == real || alias == "any" {
        return true;
    }
    let (Some(r), Some(a)) = (debarch_to_debtuple(real), debwildcard_to_debtuple(alias)) else {
        return false;
    };
    r.iter().zip(&a).all(|(r, a)| a == r || a == "any")
}

/// True if `name` is a valid Debian package name (policy §5.6.7: lowercase letters, digits,
/// `+ - .`, at least two characters, starting alphanumeric). Uppercase is tolerated as apt does.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_relations() {
        let r = parse_relations(
            "containerd.io (>= 1.6.4), docker-ce-cli, iptables, libseccomp2 (>= 2.3.0), libc6 (>= 2.17)",
        )
        .unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[0][0].name, "containerd.io");
        assert_eq!(r[0][0].version, Some((Op::Ge, "1.6.4".to_string())));
        let r =
            parse_relations("cgroupfs-mount | cgroup-lite, aufs-tools [amd64],\n kmod,").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].len(), 2);
        assert!(r[1][0].applies_to("amd64"));
        assert!(!r[1][0].applies_to("arm64"));
        assert_eq!(r[1][0].to_string(), "aufs-tools [amd64]");
    }

    #[test]
    fn arch_qualifiers_profiles_and_obsolete_ops() {
        let r = parse_one("python3:any (>= 3.9~) [!armel] <!nocheck>").unwrap();
        assert_eq!(r.arch_qualifier.as_deref(), Some("any"));
        assert_eq!(r.version, Some((Op::Ge, "3.9~".into())));
        assert!(!r.applies_to("armel"));
        assert!(r.applies_to("amd64"));
        assert_eq!(parse_one("ab (< 1)").unwrap().version.unwrap().0, Op::Le);
        assert_eq!(parse_one("ab (>>1)").unwrap().version.unwrap().0, Op::Gt);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "(>= 1)",
            "ab (>= 1",
            "ab (~ 1)",
            "ab (>=)",
            "ab c",
            "ab [amd64 !arm64]",
            "ab:",
            "-a",
        ] {
            assert!(parse_one(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn multi_arch_qualifiers_as_apt_reads_them() {
        use MultiArch::*;
        let r = |t: &str| parse_one(t).unwrap();
        assert_eq!(MultiArch::parse(Some(" Allowed ")), Allowed);
        assert_eq!(MultiArch::parse(Some("bogus")), No);
        assert_eq!(MultiArch::parse(None), No);
        let any = r("python3:any");
        assert!(any.arch_matches("amd64", Allowed, "amd64"));
        assert!(any.arch_matches("all", Allowed, "amd64"));
        for ma in [No, Same, Foreign] {
            assert!(!any.arch_matches("amd64", ma, "amd64"), "{ma:?}");
            assert!(!any.arch_matches("all", ma, "amd64"), "{ma:?}");
        }
        for q in ["foo", "foo:native", "foo:all", "foo:amd64"] {
            for ma in [No, Same, Foreign, Allowed] {
                assert!(r(q).arch_matches("amd64", ma, "amd64"), "{q} {ma:?}");
                assert!(r(q).arch_matches("all", ma, "amd64"), "{q} {ma:?}");
            }
            assert!(!r(q).arch_matches("arm64", No, "amd64"), "{q}");
        }
        assert!(r("foo").arch_matches("arm64", Foreign, "amd64"));
        assert!(!r("foo:native").arch_matches("arm64", Foreign, "amd64"));
        assert!(!r("foo:arm64").arch_matches("amd64", Foreign, "amd64"));
        assert!(!r("foo:arm64").arch_matches("all", Foreign, "amd64"));
        assert!(r("foo:arm64").arch_matches("arm64", No, "amd64"));
    }

    #[test]
    fn one_character_names_as_dpkg_reads_them() {
        // dpkg accepts them (pkg_name_is_illegal has no minimum length); this was refused
        let r = parse_relations("a, b (>= 1) | c [amd64]").unwrap();
        assert_eq!(r[0][0].name, "a");
        assert_eq!(r[1][1].name, "c");
    }

    #[test]
    fn arch_wildcards_as_dpkg_matches_them() {
        // Dpkg::Arch::debarch_is
        for (real, alias, want) in [
            ("amd64", "amd64", true),
            ("amd64", "any", true),
            ("amd64", "linux-any", true),
            ("amd64", "any-amd64", true),
            ("x32", "any-amd64", true),
            ("x32", "amd64", false),
            ("armhf", "any-arm", true),
            ("armel", "linux-any", true),
            ("armel", "linux-arm", false),
            ("arm64", "any-arm", false),
            ("hurd-i386", "linux-any", false),
            ("hurd-i386", "hurd-any", true),
            ("hurd-i386", "any-i386", true),
            ("kfreebsd-amd64", "any-amd64", true),
            ("kfreebsd-amd64", "linux-any", false),
            ("musl-linux-amd64", "linux-any", true),
            ("musl-linux-amd64", "musl-linux-any", true),
            ("amd64", "musl-linux-any", false),
            ("amd64", "gnu-any-any", true),
            ("amd64", "base-gnu-linux-amd64", false),
            ("i386", "any-amd64", false),
            ("unknown", "any-amd64", false),
            // Dpkg::Arch reads `linux-<name>` as `<name>` (apt's cachefilter_test.cc too)
            ("linux-armhf", "linux-any", true),
            ("armhf", "linux-armhf", true),
            ("linux-amd64", "any-amd64", true),
            ("linux-i386", "any-amd64", false),
            // dpkg 1.21's cputable names the CPU loong64 (its GNU name is loongarch64)
            ("loong64", "linux-any", true),
            ("loong64", "any-loong64", true),
            ("hurd-loong64", "hurd-any", true),
        ] {
            assert_eq!(debarch_is(real, alias), want, "debarch_is({real}, {alias})");
        }
        let r = parse_one("foo [any-amd64 hurd-any]").unwrap();
        assert!(r.applies_to("amd64") && r.applies_to("x32") && r.applies_to("hurd-i386"));
        assert!(!r.applies_to("arm64"));
        let r = parse_one("foo [!linux-any]").unwrap();
        assert!(!r.applies_to("amd64") && r.applies_to("kfreebsd-amd64"));
    }

    #[test]
    fn op_matches() {
        use std::cmp::Ordering::*;
        assert!(Op::Lt.matches(Less) && !Op::Lt.matches(Equal));
        assert!(Op::Le.matches(Equal) && !Op::Le.matches(Greater));
        assert!(Op::Ge.matches(Greater) && !Op::Ge.matches(Less));
        assert!(Op::Gt.matches(Greater) && !Op::Gt.matches(Equal));
        assert!(Op::Eq.matches(Equal) && !Op::Eq.matches(Less));
    }
}
