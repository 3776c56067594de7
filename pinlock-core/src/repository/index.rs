//! One Packages index: the best variant the Release lists and the server has, streamed
//! through size and digest checks, a decoder thread and a parser thread.

use super::*;

pub(super) async fn read_index(
    ctx: Arc<Ctx>,
    release: Release,
    dist: String,
    shown_dist: String,
    component: String,
    architecture: String,
    plain: FileEntry,
) -> Result<IndexSnapshot, RepoError> {
    let base = format!("{component}/binary-{architecture}/Packages");
    let shown_url = format!("{shown_dist}/{base}");
    let key = plain
        .sha256
        .clone()
        .unwrap_or_else(|| plain.sha512.clone().unwrap_or_default());
    let cache = ctx.opts.cache.clone().filter(|_| plain.sha256.is_some());
    let cached = match &cache {
        Some(c) => {
            let (c, k, size) = (c.clone(), key.clone(), plain.size);
            tokio::task::spawn_blocking(move || c.load_index(&k, size))
                .await
                .expect("cache reader panicked")
        }
        None => None,
    };
    let packages = if let Some(index) = cached {
        ctx.progress(Progress::FromCache {
            url: shown_url.clone(),
        });
        // stored only after these checks passed; run them again so that a cache written by
        // another pinlock never lets an invalid version through
        if let Some(e) = check_versions(index.iter(), &shown_url) {
            return Err(e);
        }
        index
    } else if ctx.opts.offline {
        return Err(RepoError::NotCached { url: shown_url });
    } else {
        let index = download_index(&ctx, &release, &dist, &shown_dist, &base, &plain).await?;
        match cache {
            Some(cache) => {
                let (k, size) = (key.clone(), plain.size);
                let (index, stored) = tokio::task::spawn_blocking(move || {
                    let r = cache.store_index(&k, size, &index);
                    (index, r.map_err(|e| (cache.root().to_path_buf(), e)))
                })
                .await
                .expect("cache writer panicked");
                stored.map_err(|(path, source)| RepoError::CacheWrite { path, source })?;
                index
            }
            None => index,
        }
    };
    ctx.progress(Progress::Parsed {
        url: shown_url.clone(),
        packages: packages.len(),
    });
    Ok(IndexSnapshot {
        component,
        architecture,
        url: shown_url,
        sha256: key,
        packages,
    })
}

/// The first stanza whose version is invalid, as an error.
fn check_versions<'a>(
    mut stanzas: impl Iterator<Item = PackageRef<'a>>,
    url: &str,
) -> Option<RepoError> {
    stanzas.find_map(|p| {
        // `compare` runs the same checks as `Version::parse` without allocating
        let source = crate::version::compare(p.version(), "0").err()?;
        Some(RepoError::InvalidVersion {
            url: url.to_string(),
            line: p.line(),
            package: p.name().to_string(),
            source,
        })
    })
}

/// The strong digests of a stream that a Release entry lists: SHA256 and/or SHA512 (apt checks
/// every one it knows, so a right SHA256 next to a wrong SHA512 is refused).
#[derive(Default)]
pub(super) struct EntryDigest {
    pub(super) sha256: Option<Sha256>,
    pub(super) sha512: Option<Sha512>,
}

/// The finished digests of a stream (lowercase hex), for the algorithms the entry lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Digests {
    pub(super) sha256: Option<String>,
    pub(super) sha512: Option<String>,
}

impl EntryDigest {
    fn new(entry: &FileEntry) -> EntryDigest {
        EntryDigest {
            sha256: entry.sha256.as_ref().map(|_| Sha256::new()),
            sha512: entry.sha512.as_ref().map(|_| Sha512::new()),
        }
    }

    fn update(&mut self, b: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(b);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(b);
        }
    }

    fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.map(|h| hex(&h.finalize())),
            sha512: self.sha512.map(|h| hex(&h.finalize())),
        }
    }
}

/// Checks the size, then every strong digest (SHA256, then SHA512), of a stream against a
/// Release entry.
fn check_streamed(
    url: &str,
    entry: &FileEntry,
    got: u64,
    digest: Digests,
) -> Result<(), RepoError> {
    if got != entry.size {
        return Err(RepoError::IndexSize {
            url: url.to_string(),
            expected: entry.size,
            got,
        });
    }
    let pairs = [
        ("SHA256", &entry.sha256, digest.sha256),
        ("SHA512", &entry.sha512, digest.sha512),
    ];
    for (algo, want, got) in pairs {
        if let (Some(want), Some(got)) = (want, got) {
            if &got != want {
                return Err(RepoError::IndexHash {
                    url: url.to_string(),
                    algo,
                    expected: want.clone(),
                    got,
                });
            }
        }
    }
    Ok(())
}

/// Decompressed text handed from the decoder thread to the parser thread.
pub(super) enum Plain {
    /// The download restarted: drop everything.
    Restart,
    /// The next decompressed bytes.
    Data(Vec<u8>),
}

/// What the decoder thread found: size and digest of the compressed bytes, the decoding
/// error if any, and the size of the decompressed text.
pub(super) struct Decoded {
    pub(super) size: u64,
    pub(super) digest: Digests,
    pub(super) error: Option<std::io::Error>,
    pub(super) plain_size: u64,
}

/// What the parser thread found: digest of the decompressed text and the index (or the first
/// syntax error, else the first invalid version).
pub(super) struct Parsed {
    pub(super) digest: Digests,
    pub(super) index: Result<PackageIndex, RepoError>,
}

/// Bytes of decompressed text per hand-over between the decoder and the parser thread.
pub(super) const PLAIN_CHUNK: usize = 64 << 10;

/// The compressed stream as a reader for the decoder, hashing and counting what passes. A
/// new [`BodyChunk::Start`] (a retried download) makes reads fail with `restart` set.
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<BodyChunk>,
    cur: Vec<u8>,
    pos: usize,
    digest: EntryDigest,
    size: u64,
    started: bool,
    restart: bool,
}

impl BodyReader {
    fn reset(&mut self, entry: &FileEntry) {
        self.cur.clear();
        self.pos = 0;
        self.digest = EntryDigest::new(entry);
        self.size = 0;
        self.restart = false;
    }
}

impl std::io::Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.restart {
                return Err(std::io::Error::other("download restarted"));
            }
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(BodyChunk::Start) if !self.started => self.started = true,
                Some(BodyChunk::Start) => self.restart = true,
                Some(BodyChunk::Data(d)) => {
                    self.digest.update(&d);
                    self.size += d.len() as u64;
                    self.cur = d;
                    self.pos = 0;
                }
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The decoder thread: decompresses the body as it arrives and hands the text to the parser
/// thread. It stops decoding at the first error or past the size the Release lists for the
/// text (a decompression bomb), but reads the body to its end to hash all of it.
pub(super) fn decode_body(
    rx: tokio::sync::mpsc::Receiver<BodyChunk>,
    comp: Compression,
    entry: &FileEntry,
    plain_limit: u64,
    out: std::sync::mpsc::SyncSender<Plain>,
) -> Decoded {
    use std::io::Read;
    let mut body = BodyReader {
        rx,
        cur: Vec::new(),
        pos: 0,
        digest: EntryDigest::new(entry),
        size: 0,
        started: false,
        restart: false,
    };
    'attempt: loop {
        let mut error = None;
        let mut plain_size = 0u64;
        {
            let mut dec = comp.reader(&mut body);
            loop {
                let mut buf = vec![0u8; PLAIN_CHUNK];
                let mut n = 0;
                let r = loop {
                    match dec.read(&mut buf[n..]) {
                        Ok(0) => break Ok(()),
                        Ok(k) => {
                            n += k;
                            if n == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                if n > 0 {
                    plain_size += n as u64;
                    if plain_size > plain_limit {
                        break;
                    }
                    buf.truncate(n);
                    // a parser that is gone failed: its result is not used
                    let _ = out.send(Plain::Data(buf));
                }
                match r {
                    Ok(()) if n == 0 => break,
                    Ok(()) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        // hash the rest of the body (after an error, or data after the end of the stream)
        let mut sink = [0u8; 1 << 16];
        loop {
            match body.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if body.restart {
            body.reset(entry);
            let _ = out.send(Plain::Restart);
            continue 'attempt;
        }
        return Decoded {
            size: body.size,
            digest: std::mem::take(&mut body.digest).finish(),
            error,
            plain_size,
        };
    }
}

/// The parser thread: hashes the decompressed text and parses it stanza by stanza into the
/// compact index, checking versions as stanzas complete. After a syntax error it only hashes.
pub(super) fn parse_body(
    rx: std::sync::mpsc::Receiver<Plain>,
    url: &str,
    plain: &FileEntry,
) -> Parsed {
    let mut digest = EntryDigest::new(plain);
    let mut builder = Some(IndexBuilder::new(url, Some(plain.size)));
    let mut syntax: Option<Deb822Error> = None;
    let mut bad_version: Option<RepoError> = None;
    let mut checked = 0;
    let check = |b: &IndexBuilder, checked: &mut usize, bad: &mut Option<RepoError>| {
        let parsed = b.parsed();
        if bad.is_none() {
            *bad = check_versions(parsed.iter_from(*checked), url);
        }
        *checked = parsed.len();
    };
    for msg in rx {
        match msg {
            Plain::Restart => {
                digest = EntryDigest::new(plain);
                builder = Some(IndexBuilder::new(url, Some(plain.size)));
                (syntax, bad_version, checked) = (None, None, 0);
            }
            Plain::Data(d) => {
                digest.update(&d);
                if let Some(b) = builder.as_mut() {
                    match b.push(&d) {
                        Ok(()) => check(b, &mut checked, &mut bad_version),
                        Err(e) => {
                            syntax = Some(e);
                            builder = None;
                        }
                    }
                }
            }
        }
    }
    let index = match (builder, syntax) {
        (_, Some(e)) => Err(e.into()),
        (None, None) => unreachable!("the builder is only dropped on an error"),
        (Some(b), None) => match b.finish() {
            Err(e) => Err(e.into()),
            Ok(index) => {
                match bad_version.or_else(|| check_versions(index.iter_from(checked), url)) {
                    Some(e) => Err(e),
                    None => Ok(index),
                }
            }
        },
    };
    Parsed {
        digest: digest.finish(),
        index,
    }
}

/// Downloads the best listed variant of an index that the server has and returns it parsed.
///
/// The body is streamed: the network task hands it to a decoder thread (size and digest of the
/// compressed bytes, decompression), which hands the text to a parser thread (size and digest
/// of the text, parse into the compact index), so decoding and parsing overlap on two cores
/// and neither the download nor the whole text is ever held. The index is returned only when
/// both sizes and digests match the signed Release; the errors, and which comes first, are
/// those of checking a complete download: compressed size and digest, decompression, text
/// size and digest, syntax, versions.
async fn download_index(
    ctx: &Ctx,
    release: &Release,
    dist: &str,
    shown_dist: &str,
    base: &str,
    plain: &FileEntry,
) -> Result<PackageIndex, RepoError> {
    // apt judges the uncompressed entry (its "meta key"): weak-only there, the index is skipped
    let weak = || RepoError::WeakIndexHashes {
        url: format!("{shown_dist}/{base}"),
    };
    if !plain.has_strong_hash() {
        return Err(weak());
    }
    let mut last_err = None;
    let mut weak_variant = false;
    for comp in Compression::PREFERENCE {
        let name = format!("{base}{}", comp.extension());
        let Some(entry) = release.files.get(&name) else {
            continue;
        };
        if !entry.has_strong_hash() {
            weak_variant = true;
            continue;
        }
        let shown = format!("{shown_dist}/{name}");
        let mut urls = Vec::new();
        if release.acquire_by_hash {
            if let Some(h) = &entry.sha256 {
                let dir = base.rsplit_once('/').map_or("", |(d, _)| d);
                urls.push(format!("{dist}/{dir}/by-hash/SHA256/{h}"));
            }
        }
        urls.push(format!("{dist}/{name}"));
        for url in &urls {
            ctx.progress(Progress::Fetching { url: shown.clone() });
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            let (ptx, prx) = std::sync::mpsc::sync_channel(8);
            let (e, limit) = (entry.clone(), plain.size);
            let decoder =
                tokio::task::spawn_blocking(move || decode_body(rx, comp, &e, limit, ptx));
            let (p, u) = (plain.clone(), format!("{shown_dist}/{base}"));
            let parser = tokio::task::spawn_blocking(move || parse_body(prx, &u, &p));
            let fetched = ctx.fetcher.stream(url, Some(entry.size), &tx).await;
            drop(tx);
            let decoded = decoder.await.expect("decoder panicked");
            let parsed = parser.await.expect("index parser panicked");
            match fetched {
                Ok(true) => {}
                Ok(false) => unreachable!("the decoder reads the body to its end"),
                // like apt: a missing variant, or one the server keeps failing on, is skipped
                // for the next compression (a variant that fails verification is not)
                Err(e)
                    if e.is_not_found()
                        || matches!(e, FetchError::Status { status, .. } if status >= 500) =>
                {
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            ctx.progress(Progress::Fetched {
                url: shown.clone(),
                bytes: decoded.size,
            });
            check_streamed(&shown, entry, decoded.size, decoded.digest)?;
            if let Some(source) = decoded.error {
                return Err(RepoError::Decompress { url: shown, source });
            }
            let plain_url = format!("{shown_dist}/{base}");
            check_streamed(&plain_url, plain, decoded.plain_size, parsed.digest)?;
            return parsed.index;
        }
    }
    Err(match last_err {
        Some(e) => e.into(),
        None if weak_variant => weak(),
        None => RepoError::Fetch(FetchError::NotFound {
            url: format!("{shown_dist}/{base}"),
        }),
    })
}
