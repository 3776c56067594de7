//! Which files `pin` reads: the walk of the given paths (hidden directories, `templates/`,
//! `files/`, `molecule/` and the manifest's `exclude:` globs skipped), and reading one file
//! (an unreadable one is an error the caller turns into a warning).

use std::fs;
use std::path::{Path, PathBuf};

use super::coverage::normalized;
use super::{load_or_return, Loaded, PinError};

/// Paths [`super::pin_paths`] does not walk (the manifest's `exclude:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclude {
    /// The directory the globs are relative to (the manifest's).
    pub base: PathBuf,
    /// Globs over `/`-separated paths relative to `base`: `*` and `?` stay within one path
    /// component, `**` matches any number of them; a directory that matches is skipped with
    /// everything in it (`roles/legacy`, `roles/*/tests`, `**/molecule/**`).
    pub globs: Vec<String>,
}

impl Exclude {
    /// Whether `path` (a file or directory found while walking) is excluded.
    pub fn matches(&self, path: &Path) -> bool {
        if self.globs.is_empty() {
            return false;
        }
        let (base, p) = (normalized(&self.base), normalized(path));
        if p.len() <= base.len() || p[..base.len()] != base[..] {
            return false;
        }
        let rel = p[base.len()..].join("/");
        self.globs.iter().any(|g| {
            let g = g.trim_start_matches("./").trim_end_matches('/');
            glob_match(g.as_bytes(), rel.as_bytes())
                || g.strip_suffix("/**")
                    .is_some_and(|d| glob_match(d.as_bytes(), rel.as_bytes()))
        })
    }
}

/// Whether glob `p` matches all of `s` (see [`Exclude::globs`]).
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    if let Some(rest) = p.strip_prefix(b"**") {
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        // zero or more whole components
        if glob_match(rest, s) {
            return true;
        }
        return s
            .iter()
            .enumerate()
            .any(|(i, &c)| c == b'/' && glob_match(rest, &s[i + 1..]))
            || (rest.is_empty() && !s.is_empty());
    }
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_match(&p[1..], s)
                || (s.first().is_some_and(|&c| c != b'/') && glob_match(p, &s[1..]))
        }
        (Some(b'?'), Some(&c)) => c != b'/' && glob_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) => a == b && glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

/// Whether `path` is a Jinja template (`*.j2` or under a `templates/` directory).
pub(super) fn is_template(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "j2")
        || path.components().any(|c| c.as_os_str() == "templates")
}

/// Whether a directory entry is skipped while walking: hidden, `.git`, `templates`, `files`, and
/// `molecule` (a role's test scenarios run with their own inventory and often without facts:
/// pinning or wiring them breaks the tests, not the fleet). Pass such a file explicitly to pin it.
fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "templates" || name == "files" || name == "molecule"
}

pub(super) fn walk(path: &Path, exclude: &Exclude, out: &mut Vec<PathBuf>) -> Result<(), PinError> {
    let io = |source| PinError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        if exclude.matches(&p) {
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let is_link = fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if p.is_dir() {
            if is_link {
                // a linked directory may lead back up the tree; pass it explicitly to pin it
                continue;
            }
            if !skip_dir(name) {
                walk(&p, exclude, out)?;
            }
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            out.push(p);
        }
    }
    Ok(())
}

pub(super) fn utf8_error(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> PinError {
    let good = &bytes[..e.valid_up_to()];
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
    PinError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        col,
    }
}

/// Reads and parses one file; on failure the error and the text as far as it could be read.
pub(super) fn read_file(p: &Path) -> Result<Loaded, (PinError, String)> {
    let bytes = fs::read(p).map_err(|source| {
        (
            PinError::Io {
                path: p.to_path_buf(),
                source,
            },
            String::new(),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let err = e.utf8_error();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        (utf8_error(p, e.as_bytes(), err), lossy)
    })?;
    load_or_return(p, text)
}

/// The line and the reason (without the path) of an error reading one file.
pub(super) fn unreadable(err: &PinError) -> (usize, String) {
    match err {
        PinError::Syntax {
            line, col, message, ..
        } => (*line, format!("invalid YAML at column {col}: {message}")),
        PinError::NotUtf8 { line, col, .. } => (*line, format!("not valid UTF-8 at column {col}")),
        PinError::TabIndent { line, col, .. } => {
            (*line, format!("tab used for indentation at column {col}"))
        }
        PinError::Io { source, .. } => (1, source.to_string()),
        other => (1, other.to_string()),
    }
}
