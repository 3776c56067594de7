//! Recording a proposal on a branch with git plumbing, leaving HEAD, the index and the working
//! tree alone: blobs with `git hash-object -w`, a tree from HEAD's tree in a temporary index
//! (`GIT_INDEX_FILE`), `git commit-tree` with HEAD as parent and `git update-ref`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Git failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be run.
    #[error("cannot run git: {source}\nhint: install git, or drop --commit")]
    Spawn {
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("git {args} failed in {dir}: {stderr}")]
    Failed {
        /// Arguments.
        args: String,
        /// Directory.
        dir: PathBuf,
        /// Its stderr.
        stderr: String,
    },
    /// Files the proposal reads or rewrites have uncommitted changes.
    #[error("refusing to commit: uncommitted changes in {}\nhint: commit or stash them first; `--commit` builds the branch on HEAD, so a proposal computed from edited files would be committed next to their old content (or run `pinlock update` without --commit)", .files.join(", "))]
    Dirty {
        /// The files, relative to the repository root, sorted.
        files: Vec<String>,
    },
    /// A file to commit is outside the repository.
    #[error("{path} is outside the git repository {root}\nhint: run pinlock inside the repository that holds the manifest")]
    Outside {
        /// The file.
        path: PathBuf,
        /// Repository root.
        root: PathBuf,
    },
}

/// What [`commit_to_branch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A new commit; the branch now points at it.
    Committed {
        /// Commit id.
        commit: String,
    },
    /// The branch already holds exactly this tree on top of HEAD: left as it is.
    Unchanged {
        /// The branch's commit.
        commit: String,
    },
    /// The files equal HEAD's: nothing to commit.
    NothingToCommit,
}

struct Git<'a> {
    dir: &'a Path,
    index: Option<&'a Path>,
}

impl Git<'_> {
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, GitError> {
        self.run_raw(args, stdin).map(|s| s.trim().to_string())
    }

    /// stdout as it is (porcelain output starts with a space).
    fn run_raw(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, GitError> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(self.dir).args(args);
        if let Some(i) = self.index {
            cmd.env("GIT_INDEX_FILE", i);
        }
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| GitError::Spawn { source })?;
        if let (Some(data), Some(mut si)) = (stdin, child.stdin.take()) {
            si.write_all(data)
                .map_err(|source| GitError::Spawn { source })?;
        }
        let out = child
            .wait_with_output()
            .map_err(|source| GitError::Spawn { source })?;
        if !out.status.success() {
            return Err(GitError::Failed {
                args: args.join(" "),
                dir: self.dir.to_path_buf(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn ok(&self, args: &[&str]) -> Option<String> {
        self.run(args, None).ok().filter(|s| !s.is_empty())
    }
}

/// Commits `files` (absolute or relative to `dir` paths, with their new content) on top of
/// HEAD of the repository containing `dir`, as branch `branch`, with `message`.
///
/// - Files equal to HEAD's → [`CommitOutcome::NothingToCommit`], no ref touched.
/// - `branch` exists, its parent is HEAD and its tree is the new tree →
///   [`CommitOutcome::Unchanged`].
/// - Otherwise a new commit whose parent is HEAD; the branch is created or moved to it.
///
/// When no committer identity is configured, `pinlock <pinlock@localhost>` is used.
pub fn commit_to_branch(
    dir: &Path,
    files: &[(PathBuf, Vec<u8>)],
    branch: &str,
    message: &str,
) -> Result<CommitOutcome, GitError> {
    let g = Git { dir, index: None };
    let root = PathBuf::from(g.run(&["rev-parse", "--show-toplevel"], None)?);
    let root = root.canonicalize().unwrap_or(root);
    let head = g.run(&["rev-parse", "--verify", "HEAD^{commit}"], None)?;
    let head_tree = g.run(&["rev-parse", "HEAD^{tree}"], None)?;
    let tmp = tempfile::Builder::new()
        .prefix("pinlock-index")
        .tempdir()
        .map_err(|source| GitError::Spawn { source })?;
    let index = tmp.path().join("index");
    let gi = Git {
        dir,
        index: Some(&index),
    };
    gi.run(&["read-tree", &head], None)?;
    for (path, content) in files {
        let abs = if path.is_absolute() {
            path.clone()
        } else {
            dir.join(path)
        };
        let abs = canonical_prefix(&abs);
        let rel = abs
            .strip_prefix(&root)
            .map_err(|_| GitError::Outside {
                path: abs.clone(),
                root: root.clone(),
            })?
            .to_string_lossy()
            .replace('\\', "/");
        let blob = g.run(&["hash-object", "-w", "--stdin"], Some(content))?;
        gi.run(
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("100644,{blob},{rel}"),
            ],
            None,
        )?;
    }
    let tree = gi.run(&["write-tree"], None)?;
    if tree == head_tree {
        return Ok(CommitOutcome::NothingToCommit);
    }
    let refname = format!("refs/heads/{branch}");
    if let Some(tip) = g.ok(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{refname}^{{commit}}"),
    ]) {
        let tip_tree = g.ok(&["rev-parse", &format!("{tip}^{{tree}}")]);
        let tip_parent = g.ok(&["rev-parse", "--verify", "--quiet", &format!("{tip}^1")]);
        if tip_tree.as_deref() == Some(tree.as_str())
            && tip_parent.as_deref() == Some(head.as_str())
        {
            return Ok(CommitOutcome::Unchanged { commit: tip });
        }
    }
    let mut args: Vec<String> = Vec::new();
    if g.ok(&["config", "user.name"]).is_none() {
        args.extend(["-c".into(), "user.name=pinlock".into()]);
    }
    if g.ok(&["config", "user.email"]).is_none() {
        args.extend(["-c".into(), "user.email=pinlock@localhost".into()]);
    }
    args.extend([
        "commit-tree".into(),
        tree,
        "-p".into(),
        head,
        "-F".into(),
        "-".into(),
    ]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let commit = g.run(&argv, Some(message.as_bytes()))?;
    g.run(
        &["update-ref", "-m", "pinlock update", &refname, &commit],
        None,
    )?;
    Ok(CommitOutcome::Committed { commit })
}

/// The files among `paths` (files or directories, absolute or relative to `dir`) that differ
/// from HEAD in the index or the working tree, or are untracked and not ignored, as paths
/// relative to the repository root, sorted. Paths outside the repository are skipped.
pub fn uncommitted(dir: &Path, paths: &[PathBuf]) -> Result<Vec<String>, GitError> {
    let g = Git { dir, index: None };
    let root = PathBuf::from(g.run(&["rev-parse", "--show-toplevel"], None)?);
    let root = root.canonicalize().unwrap_or(root);
    let mut specs: Vec<String> = Vec::new();
    for p in paths {
        let abs = if p.is_absolute() {
            p.clone()
        } else {
            dir.join(p)
        };
        let abs = canonical_prefix(&abs);
        if let Ok(rel) = abs.strip_prefix(&root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            specs.push(format!(
                ":(top,literal){}",
                if rel.is_empty() { "." } else { &rel }
            ));
        }
    }
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
    ];
    args.extend(specs.iter().map(String::as_str));
    let out = g.run_raw(&args, None)?;
    let mut files: Vec<String> = Vec::new();
    let mut entries = out.split('\0').filter(|e| !e.is_empty());
    while let Some(e) = entries.next() {
        let (status, path) = e.split_at(e.len().min(3));
        files.push(path.to_string());
        // A rename or copy is followed by its source path.
        if status.starts_with('R') || status.starts_with('C') {
            entries.next();
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// `path` with its longest existing ancestor canonicalized and the rest appended: a file the
/// commit adds may live in a directory the working tree does not have yet (`pinlock/`).
fn canonical_prefix(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut cur = path;
    loop {
        if let Ok(c) = cur.canonicalize() {
            return rest.iter().rev().fold(c, |acc: PathBuf, n| acc.join(n));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                cur = p;
            }
            _ => return path.to_path_buf(),
        }
    }
}
