//! Packages indexes: a parsed index that owns its text and hands out borrowed entries.
//!
//! This is the hot path (Debian's main index is 50 MB and 63,000 stanzas). The index keeps the
//! decompressed text and, per stanza, the byte spans of the fields pinlock uses; no field is
//! copied. [`PackageIndex::iter`] yields [`PackageRef`]s that borrow from the index.

use crate::deb822::{Deb822Error, Event, Scanner};

/// A field of a Packages stanza that pinlock keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum PkgField {
    /// `Package`
    Package,
    /// `Version`
    Version,
    /// `Architecture`
    Architecture,
    /// `Source`, optionally with `(version)`
    Source,
    /// `Depends`
    Depends,
    /// `Pre-Depends`
    PreDepends,
    /// `Recommends`
    Recommends,
    /// `Suggests`
    Suggests,
    /// `Provides`
    Provides,
    /// `Conflicts`
    Conflicts,
    /// `Breaks`
    Breaks,
    /// `Replaces`
    Replaces,
    /// `Filename`
    Filename,
    /// `Size`
    Size,
    /// `SHA256`
    Sha256,
    /// `Multi-Arch`
    MultiArch,
}

const NFIELDS: usize = 16;

impl PkgField {
    /// Maps a field name (case-insensitive, as deb822 says) to the field, if pinlock keeps it.
    #[inline]
    pub fn from_name(name: &str) -> Option<PkgField> {
        let b = name.as_bytes();
        // Dispatch on length first: almost every field name is rejected by one comparison.
        let f = match b.len() {
            4 if b.eq_ignore_ascii_case(b"Size") => PkgField::Size,
            6 if b.eq_ignore_ascii_case(b"Source") => PkgField::Source,
            6 if b.eq_ignore_ascii_case(b"SHA256") => PkgField::Sha256,
            6 if b.eq_ignore_ascii_case(b"Breaks") => PkgField::Breaks,
            7 if b.eq_ignore_ascii_case(b"Package") => PkgField::Package,
            7 if b.eq_ignore_ascii_case(b"Version") => PkgField::Version,
            7 if b.eq_ignore_ascii_case(b"Depends") => PkgField::Depends,
            8 if b.eq_ignore_ascii_case(b"Provides") => PkgField::Provides,
            8 if b.eq_ignore_ascii_case(b"Suggests") => PkgField::Suggests,
            8 if b.eq_ignore_ascii_case(b"Replaces") => PkgField::Replaces,
            8 if b.eq_ignore_ascii_case(b"Filename") => PkgField::Filename,
            9 if b.eq_ignore_ascii_case(b"Conflicts") => PkgField::Conflicts,
            10 if b.eq_ignore_ascii_case(b"Recommends") => PkgField::Recommends,
            10 if b.eq_ignore_ascii_case(b"Multi-Arch") => PkgField::MultiArch,
            11 if b.eq_ignore_ascii_case(b"Pre-Depends") => PkgField::PreDepends,
            12 if b.eq_ignore_ascii_case(b"Architecture") => PkgField::Architecture,
            _ => return None,
        };
        Some(f)
    }

    /// The canonical field name.
    pub fn name(self) -> &'static str {
        match self {
            PkgField::Package => "Package",
            PkgField::Version => "Version",
            PkgField::Architecture => "Architecture",
            PkgField::Source => "Source",
            PkgField::Depends => "Depends",
            PkgField::PreDepends => "Pre-Depends",
            PkgField::Recommends => "Recommends",
            PkgField::Suggests => "Suggests",
            PkgField::Provides => "Provides",
            PkgField::Conflicts => "Conflicts",
            PkgField::Breaks => "Breaks",
            PkgField::Replaces => "Replaces",
            PkgField::Filename => "Filename",
            PkgField::Size => "Size",
            PkgField::Sha256 => "SHA256",
            PkgField::MultiArch => "Multi-Arch",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Default)]
struct RawEntry {
    line: u32,
    fields: [Span; NFIELDS],
}

/// A parsed Packages index: the text plus field spans per stanza.
#[derive(Debug, Clone, Default)]
pub struct PackageIndex {
    text: String,
    entries: Vec<RawEntry>,
}

/// One stanza of a [`PackageIndex`], borrowing from it.
#[derive(Debug, Clone, Copy)]
pub struct PackageRef<'a> {
    text: &'a str,
    raw: &'a RawEntry,
}

impl<'a> PackageRef<'a> {
    /// The raw value of `field` (trimmed; continuation lines kept), or `None` when absent.
    #[inline]
    pub fn get(&self, field: PkgField) -> Option<&'a str> {
        let s = self.raw.fields[field as usize];
        if s.len == 0 {
            None
        } else {
            Some(&self.text[s.start as usize..(s.start + s.len) as usize])
        }
    }

    /// `Package`.
    pub fn name(&self) -> &'a str {
        self.get(PkgField::Package).unwrap_or_default()
    }

    /// `Version`, as written.
    pub fn version(&self) -> &'a str {
        self.get(PkgField::Version).unwrap_or_default()
    }

    /// `Architecture`.
    pub fn architecture(&self) -> &'a str {
        self.get(PkgField::Architecture).unwrap_or_default()
    }

    /// The source package name and version: `Source: name (version)` or the package's own
    /// name and version when the field is absent or has no version.
    pub fn source(&self) -> (&'a str, &'a str) {
        match self.get(PkgField::Source) {
            None => (self.name(), self.version()),
            Some(s) => match s.split_once('(') {
                Some((n, v)) => (n.trim(), v.trim_end_matches(')').trim()),
                None => (s.trim(), self.version()),
            },
        }
    }

    /// `Size` as a number, if present and numeric.
    pub fn size(&self) -> Option<u64> {
        self.get(PkgField::Size).and_then(|s| s.parse().ok())
    }

    /// 1-based line of the stanza's first field in the index.
    pub fn line(&self) -> usize {
        self.raw.line as usize
    }
}

impl PackageIndex {
    /// Parses a Packages index. `file` names it in errors (a URL or path).
    ///
    /// Returns an error for malformed deb822 and for a stanza without `Package`, `Version` or
    /// `Architecture`, naming the line. Values are not validated here (see the repository
    /// reader, which checks versions).
    pub fn parse(text: String, file: &str) -> Result<PackageIndex, Deb822Error> {
        if text.len() > u32::MAX as usize {
            return Err(Deb822Error {
                file: file.to_string(),
                line: 0,
                reason: "index larger than 4 GiB".into(),
            });
        }
        let mut entries = Vec::with_capacity(text.len() / 800 + 1);
        let base = text.as_ptr() as usize;
        let mut cur = RawEntry::default();
        for ev in Scanner::new(&text, file) {
            match ev? {
                Event::Field { name, value, line } => {
                    if let Some(f) = PkgField::from_name(name) {
                        cur.fields[f as usize] = Span {
                            start: (value.as_ptr() as usize - base) as u32,
                            len: value.len() as u32,
                        };
                    }
                    if cur.line == 0 {
                        cur.line = line as u32;
                    }
                }
                Event::End { line } => {
                    for req in [PkgField::Package, PkgField::Version, PkgField::Architecture] {
                        if cur.fields[req as usize].len == 0 {
                            return Err(Deb822Error {
                                file: file.to_string(),
                                line,
                                reason: format!("stanza without a {} field", req.name()),
                            });
                        }
                    }
                    entries.push(std::mem::take(&mut cur));
                }
            }
        }
        Ok(PackageIndex { text, entries })
    }

    /// Number of stanzas.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the index has no stanza.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stanzas in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PackageRef<'_>> + '_ {
        self.entries.iter().map(move |raw| PackageRef {
            text: &self.text,
            raw,
        })
    }

    /// The decompressed text of the index.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANZAS: &str = "\
Package: docker-ce-cli
Architecture: arm64
Version: 5:20.10.9~3-0~debian-buster
Priority: optional
Source: docker-ce
Depends: libc6 (>= 2.17)
Conflicts: docker (<< 1.5~), docker-engine
Breaks: docker-ce (<< 5:0)
Filename: dists/buster/pool/stable/arm64/docker-ce-cli_20.10.9~3-0~debian-buster_arm64.deb
Size: 34713030
SHA256: ad3ad77dc329927902bfc6340b4b54578a684a822a5efd7d8e3013cab0b5b41b
Description: Docker CLI
 long text
 .

Package: docker-buildx-plugin
Version: 0.10.2-1~debian.10~buster
Architecture: arm64
Source: docker-ce (5:23.0.1-1~debian.10~buster)
";

    #[test]
    fn parses_fields_without_copying() {
        let idx = PackageIndex::parse(STANZAS.to_string(), "Packages").unwrap();
        assert_eq!(idx.len(), 2);
        let p: Vec<_> = idx.iter().collect();
        assert_eq!(p[0].name(), "docker-ce-cli");
        assert_eq!(p[0].version(), "5:20.10.9~3-0~debian-buster");
        assert_eq!(p[0].source(), ("docker-ce", "5:20.10.9~3-0~debian-buster"));
        assert_eq!(p[0].get(PkgField::Breaks), Some("docker-ce (<< 5:0)"));
        assert_eq!(p[0].size(), Some(34713030));
        assert_eq!(p[0].get(PkgField::Recommends), None);
        assert_eq!(p[0].line(), 1);
        assert_eq!(p[1].line(), 16);
        assert_eq!(p[1].source(), ("docker-ce", "5:23.0.1-1~debian.10~buster"));
    }

    #[test]
    fn missing_required_field_names_the_stanza_line() {
        let err =
            PackageIndex::parse("Package: a\nVersion: 1\n\nPackage: b\n".into(), "P").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("Architecture"), "{err}");
        let err = PackageIndex::parse(
            "Package: a\nVersion: 1\nArchitecture: all\n\nVersion: 2\nArchitecture: all\n".into(),
            "P",
        )
        .unwrap_err();
        assert_eq!(
            (err.line, err.reason.as_str()),
            (5, "stanza without a Package field")
        );
    }

    #[test]
    fn field_names_are_case_insensitive() {
        for f in 0..NFIELDS as u8 {
            // SAFETY-free round trip through the name table.
            let field = [
                PkgField::Package,
                PkgField::Version,
                PkgField::Architecture,
                PkgField::Source,
                PkgField::Depends,
                PkgField::PreDepends,
                PkgField::Recommends,
                PkgField::Suggests,
                PkgField::Provides,
                PkgField::Conflicts,
                PkgField::Breaks,
                PkgField::Replaces,
                PkgField::Filename,
                PkgField::Size,
                PkgField::Sha256,
                PkgField::MultiArch,
            ][f as usize];
            assert_eq!(field as u8, f);
            assert_eq!(PkgField::from_name(field.name()), Some(field));
            assert_eq!(
                PkgField::from_name(&field.name().to_lowercase()),
                Some(field)
            );
        }
        assert_eq!(PkgField::from_name("Description"), None);
    }
}
