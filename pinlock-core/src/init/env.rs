//! Variables and facts as `init` sees them for one target: the role's defaults and vars, the
//! plays' vars, group_vars, and the facts a release and architecture imply.

use std::collections::BTreeMap;

use super::discover::{Applies, Found, ScopeData};
use super::jinja::{JVal, Scope, Unresolved};

/// A release and architecture the user named (`--target bookworm/amd64`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// The release codename, e.g. `bookworm`.
    pub release: String,
    /// The dpkg architecture, e.g. `amd64`.
    pub arch: String,
}

impl Target {
    /// Parses `release/arch` (e.g. `bookworm/amd64`).
    pub fn parse(s: &str) -> Result<Target, String> {
        let (release, arch) = s.split_once('/').ok_or_else(|| {
            format!("target `{s}` is not RELEASE/ARCH\nhint: e.g. --target bookworm/amd64")
        })?;
        let ok = |x: &str| {
            !x.is_empty()
                && x.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !ok(release) || !ok(arch) {
            return Err(format!(
                "target `{s}` is not RELEASE/ARCH in lowercase letters, digits and `-`\nhint: e.g. --target jammy/arm64"
            ));
        }
        Ok(Target {
            release: release.to_string(),
            arch: arch.to_string(),
        })
    }

    /// The distribution of the release (`debian`, `ubuntu`), when init knows it.
    pub fn distribution(&self) -> Option<&'static str> {
        distribution_of(&self.release)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.release, self.arch)
    }
}

const DEBIAN_RELEASES: &[&str] = &[
    "jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "sid",
];
const UBUNTU_RELEASES: &[&str] = &[
    "xenial", "bionic", "focal", "jammy", "kinetic", "lunar", "mantic", "noble", "oracular",
    "plucky", "questing",
];

const VERSIONS: &[(&str, &str, &str)] = &[
    ("debian", "8", "jessie"),
    ("debian", "9", "stretch"),
    ("debian", "10", "buster"),
    ("debian", "11", "bullseye"),
    ("debian", "12", "bookworm"),
    ("debian", "13", "trixie"),
    ("debian", "14", "forky"),
    ("ubuntu", "16.04", "xenial"),
    ("ubuntu", "18.04", "bionic"),
    ("ubuntu", "20.04", "focal"),
    ("ubuntu", "22.04", "jammy"),
    ("ubuntu", "24.04", "noble"),
    ("ubuntu", "24.10", "oracular"),
    ("ubuntu", "25.04", "plucky"),
];

/// The release codename a per-OS file names after its distribution (`12`, `22.04`, `jammy`).
pub(crate) fn release_named(distribution: &str, name: &str) -> Option<&'static str> {
    VERSIONS
        .iter()
        .find(|(d, v, r)| *d == distribution && (*v == name || *r == name))
        .map(|(_, _, r)| *r)
}

/// `debian` or `ubuntu` for a release codename init knows.
pub fn distribution_of(release: &str) -> Option<&'static str> {
    if DEBIAN_RELEASES.contains(&release) {
        Some("debian")
    } else if UBUNTU_RELEASES.contains(&release) {
        Some("ubuntu")
    } else {
        None
    }
}

/// Variables in precedence order for one scope and target.
pub(crate) struct Env<'a> {
    /// Highest precedence first: role vars (those for the target), then play vars, group_vars,
    /// role defaults.
    role_vars: Vec<&'a BTreeMap<String, JVal>>,
    play_vars: &'a BTreeMap<String, Vec<JVal>>,
    group_vars: &'a BTreeMap<String, Vec<(String, JVal)>>,
    defaults: Option<&'a BTreeMap<String, JVal>>,
    runtime: &'a BTreeMap<String, (super::discover::Loc, Vec<Option<JVal>>)>,
    /// Reading package names: a run-time variable that only ever holds a version suffix
    /// (`=1.2`) is taken as undefined, since the name without it is the same.
    pub versions_undefined: bool,
    pub target: Option<&'a Target>,
    /// Loop variables.
    pub extra: BTreeMap<String, JVal>,
}

impl<'a> Env<'a> {
    pub(crate) fn new(found: &'a Found, scope: &'a ScopeData, target: Option<&'a Target>) -> Self {
        let distro = target.and_then(Target::distribution);
        let release = target.map(|t| t.release.as_str());
        // the most specific file first, as with_first_found picks it: release, distribution,
        // the others (a later file of the same kind wins), then vars/main.yml (loaded with the
        // role, so any included file overrides it)
        let mut role_vars: Vec<(u8, &BTreeMap<String, JVal>)> = scope
            .role_vars
            .iter()
            .rev()
            .filter_map(|(applies, m)| match applies {
                Applies::Main => Some((3, m)),
                Applies::All => Some((2, m)),
                Applies::Distribution(d) => (Some(d.as_str()) == distro).then_some((1, m)),
                Applies::Release(r) => (Some(r.as_str()) == release).then_some((0, m)),
            })
            .collect();
        role_vars.sort_by_key(|(rank, _)| *rank);
        let role_vars = role_vars.into_iter().map(|(_, m)| m).collect();
        Env {
            role_vars,
            play_vars: &found.play_vars,
            group_vars: &found.group_vars,
            defaults: Some(&scope.defaults),
            runtime: &scope.runtime_vars,
            versions_undefined: false,
            target,
            extra: BTreeMap::new(),
        }
    }

    fn var(&self, name: &str) -> Result<Option<JVal>, Unresolved> {
        if let Some(v) = self.extra.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some((loc, values)) = self.runtime.get(name) {
            let version_suffix = |v: &Option<JVal>| matches!(v, Some(JVal::Str(s)) if s.starts_with('=') || s.is_empty());
            if self.versions_undefined && values.iter().all(version_suffix) {
                return Ok(None);
            }
            return Err(Unresolved {
                expr: name.to_string(),
                reason: format!("variable {name} is set at run time ({loc}: set_fact or register)"),
                needs_target: false,
            });
        }
        if let Some(v) = self.role_vars.iter().find_map(|m| m.get(name)) {
            return Ok(Some(v.clone()));
        }
        if let Some(values) = self.play_vars.get(name) {
            if values.len() > 1 {
                return Err(Unresolved {
                    expr: name.to_string(),
                    reason: format!("variable {name} has different values in different plays"),
                    needs_target: false,
                });
            }
            return Ok(values.first().cloned());
        }
        let default = self.defaults.and_then(|d| d.get(name));
        if let Some(defs) = self.group_vars.get(name) {
            // hosts outside a group get `all`'s value, or the role's default
            let all = defs.iter().find(|(g, _)| g == "all").map(|(_, v)| v);
            let base = all.or(default);
            let mut values: Vec<Option<&JVal>> = defs.iter().map(|(_, v)| Some(v)).collect();
            if all.is_none() {
                values.push(base);
            }
            if values.iter().any(|v| *v != values[0]) {
                let mut groups: Vec<&str> = defs.iter().map(|(g, _)| g.as_str()).collect();
                if all.is_none() {
                    groups.push(if default.is_some() {
                        "the role's default for other hosts"
                    } else {
                        "undefined for other hosts"
                    });
                }
                return Err(Unresolved {
                    expr: name.to_string(),
                    reason: format!(
                        "variable {name} has different values in group_vars ({})",
                        groups.join(", ")
                    ),
                    needs_target: false,
                });
            }
            return Ok(values[0].cloned());
        }
        Ok(default.cloned())
    }

    /// A fact (`ansible_facts.x`, `ansible_x`): `path` without the prefix.
    fn fact(&self, shown: &str, path: &[String]) -> Result<Option<JVal>, Unresolved> {
        let name = path.first().map(String::as_str).unwrap_or_default();
        let sub = path.get(1).map(String::as_str);
        let known = matches!(
            (name, sub),
            ("distribution_release", None)
                | ("lsb", Some("codename"))
                | ("distribution", None)
                | ("os_family", None)
                | ("architecture", None)
                | ("distribution_version", None)
                | ("distribution_major_version", None)
        );
        if !known {
            return Err(Unresolved {
                expr: shown.to_string(),
                reason: format!("fact {shown} is only known on the host"),
                needs_target: false,
            });
        }
        if name == "os_family" {
            // init only reads Debian-family work
            return Ok(Some(JVal::Str("Debian".into())));
        }
        let Some(t) = self.target else {
            return Err(Unresolved {
                expr: shown.to_string(),
                reason: format!(
                    "fact {shown} depends on the host: name the targets (--target RELEASE/ARCH)"
                ),
                needs_target: true,
            });
        };
        let value = match name {
            "distribution_release" | "lsb" => t.release.clone(),
            "distribution_version" | "distribution_major_version" => {
                let version = VERSIONS
                    .iter()
                    .find(|(_, _, r)| *r == t.release)
                    .map(|(_, v, _)| *v)
                    .ok_or_else(|| Unresolved {
                        expr: shown.to_string(),
                        reason: format!(
                            "fact {shown}: init does not know the version of release {}",
                            t.release
                        ),
                        needs_target: false,
                    })?;
                if name == "distribution_major_version" {
                    version.split('.').next().unwrap_or(version).to_string()
                } else {
                    version.to_string()
                }
            }
            "os_family" => "Debian".to_string(),
            "distribution" => match t.distribution() {
                Some("debian") => "Debian".to_string(),
                Some("ubuntu") => "Ubuntu".to_string(),
                _ => {
                    return Err(Unresolved {
                        expr: shown.to_string(),
                        reason: format!(
                            "fact {shown}: init does not know which distribution release {} is",
                            t.release
                        ),
                        needs_target: false,
                    })
                }
            },
            _ => crate::ansible::DPKG_ARCHES
                .iter()
                .find(|(_, dpkg)| *dpkg == t.arch)
                .map(|(machine, _)| machine.to_string())
                .ok_or_else(|| Unresolved {
                    expr: shown.to_string(),
                    reason: format!(
                        "fact {shown}: unknown machine name for architecture {}",
                        t.arch
                    ),
                    needs_target: false,
                })?,
        };
        Ok(Some(JVal::Str(value)))
    }
}

impl Env<'_> {
    /// Whether `when` conditions can hold for this target. Comparisons of a fact or variable
    /// init knows with literals are decided (`ansible_distribution == 'Ubuntu'`,
    /// `ansible_distribution_release in ['jammy', 'noble']`, `!=`, `not in`), combined with
    /// `and`, `or`, `not` and parentheses (three-valued: what init cannot decide may hold).
    pub(crate) fn may_hold(&self, when: &[String]) -> bool {
        let value = |lhs: &str| match super::jinja::render(&format!("{{{{ {lhs} }}}}"), self, 0) {
            Ok(JVal::Str(s)) => Some(s),
            _ => None,
        };
        when.iter()
            .all(|w| crate::ansible::when::eval(w, &value) != Some(false))
    }
}

impl Scope for Env<'_> {
    fn lookup(&self, path: &[String]) -> Result<Option<JVal>, Unresolved> {
        let shown = path.join(".");
        let mut v = match self.var(&path[0])? {
            Some(v) => v,
            None if path[0] == "ansible_facts" => return self.fact(&shown, &path[1..]),
            None if path[0].starts_with("ansible_") => {
                let mut rest = vec![path[0]["ansible_".len()..].to_string()];
                rest.extend(path[1..].iter().cloned());
                return self.fact(&shown, &rest);
            }
            None => return Ok(None),
        };
        for k in &path[1..] {
            if let JVal::Str(s) = &v {
                if super::jinja::has_jinja(s) {
                    v = super::jinja::render(s, self, 1)?;
                }
            }
            v = match v {
                JVal::Map(mut m) => match m.remove(k) {
                    Some(x) => x,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            };
        }
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_logic_is_three_valued() {
        let found = Found::default();
        let scope = ScopeData::default();
        let jammy = Target::parse("jammy/arm64").unwrap();
        let env = Env::new(&found, &scope, Some(&jammy));
        let holds = |w: &str| env.may_hold(&[w.to_string()]);
        assert!(holds("ansible_distribution == 'Ubuntu'"));
        assert!(!holds("ansible_distribution == 'Debian'"));
        assert!(!holds(
            "ansible_facts['distribution_release'] in ['focal', 'noble']"
        ));
        assert!(holds("ansible_lsb.codename not in ['focal']"));
        assert!(holds("ansible_architecture == 'aarch64'"));
        assert!(holds("ansible_distribution_version == '22.04'"));
        assert!(!holds(
            "ansible_facts['distribution_major_version'] == '24'"
        ));
        // the swarm role's epel-release condition
        assert!(!holds(
            "((not skip_docker_py) or (not skip_docker_compose))\n and (ansible_os_family == 'RedHat' and ansible_distribution != 'Fedora')"
        ));
        assert!(!holds("not (ansible_distribution == 'Ubuntu')"));
        // not ASCII: no panic, undecided parts may hold
        assert!(holds("motd == 'café' and ansible_distribution == 'Ubuntu'"));
        // undecidable parts may hold
        assert!(holds("docker_install | bool"));
        assert!(holds("(ansible_distribution == 'Debian') or unknown_flag"));
        assert!(!holds(
            "(ansible_distribution == 'Debian') and unknown_flag"
        ));
        // without a target only the OS family is known
        let env = Env::new(&found, &scope, None);
        assert!(env.may_hold(&["ansible_distribution == 'Debian'".into()]));
        assert_eq!(release_named("ubuntu", "22.04"), Some("jammy"));
        assert_eq!(release_named("debian", "bookworm"), Some("bookworm"));
        assert_eq!(release_named("debian", "22.04"), None);
        assert!(!env.may_hold(&["ansible_os_family != 'Debian'".into()]));
    }
}
