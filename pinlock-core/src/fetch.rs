//! Fetching files from a repository: HTTP(S) with reqwest (rustls, proxies from the
//! environment, timeouts, bounded retries with backoff), `file://` URLs and local paths.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::auth::AuthConf;
use crate::source::redact_uri;

/// A file could not be fetched. URLs in messages never carry credentials.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// HTTP 404 / 410, or a local file that does not exist.
    #[error("{url}: not found")]
    NotFound {
        /// The URL.
        url: String,
    },
    /// Another HTTP error status, after retries for 5xx.
    #[error("{url}: HTTP {status} (after {attempts} attempt{s})", s = if *.attempts == 1 { "" } else { "s" })]
    Status {
        /// The URL.
        url: String,
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// A network failure (connection refused or reset, timeout, TLS), after retries.
    #[error("{url}: {reason} (after {attempts} attempt{s})\nhint: check the URL, the network and any proxy (https_proxy); with a filled cache, --offline reads it instead", s = if *.attempts == 1 { "" } else { "s" })]
    Network {
        /// The URL.
        url: String,
        /// What happened, without credentials.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The body is larger than the Release says the file is.
    #[error("{url}: larger than the {limit} bytes the signed Release lists\nhint: the mirror may be mid-sync; try again later")]
    TooLarge {
        /// The URL.
        url: String,
        /// The expected size.
        limit: u64,
    },
    /// The body is shorter than the server announced.
    #[error("{url}: body ended after {got} of {expected} bytes")]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced.
        expected: u64,
    },
    /// A redirect that was not followed: to a scheme other than http(s), e.g. `file:`.
    #[error(
        "{url}: redirect to {location} refused: only http:// and https:// redirects are followed"
    )]
    Redirect {
        /// The URL.
        url: String,
        /// The `Location` the server sent (without credentials).
        location: String,
    },
    /// Reading a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The URL scheme is not supported.
    #[error("{url}: unsupported URL scheme\nhint: use http://, https://, file:// or a local path")]
    Scheme {
        /// The URL.
        url: String,
    },
}

impl FetchError {
    /// True for a missing file (404 or no such local file).
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::NotFound { .. })
    }
}

/// Timeouts and retry policy.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest pause between two reads of a body.
    pub read_timeout: Duration,
    /// Longest time for one request, body included.
    pub total_timeout: Duration,
    /// Retries after the first attempt, for 5xx, resets and timeouts.
    pub retries: u32,
    /// First backoff; doubled at each retry.
    pub backoff: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(600),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Conditional-request validators of a cached copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` of the cached copy.
    pub etag: Option<String>,
    /// `Last-Modified` of the cached copy.
    pub last_modified: Option<String>,
}

/// The result of a fetch.
#[derive(Debug)]
pub enum Fetched {
    /// The server answered 304: the cached copy is current.
    NotModified,
    /// The body and its validators.
    Body {
        /// The bytes.
        bytes: Vec<u8>,
        /// Validators for a later conditional request.
        validators: Validators,
    },
}

/// A piece of a body streamed by [`Fetcher::stream`].
#[derive(Debug)]
pub enum BodyChunk {
    /// An attempt starts (the first, or a retry after a failure mid-body): whatever was
    /// received before belongs to a failed attempt and must be dropped.
    Start,
    /// The next bytes of the body.
    Data(Vec<u8>),
}

/// How an attempt ended.
enum Attempt {
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
    Streamed,
    /// The receiver of a stream hung up.
    Hangup,
}

/// Bytes read at a time from local files by [`Fetcher::stream`].
const LOCAL_CHUNK: usize = 256 << 10;

/// Fetches URLs; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    opts: FetchOptions,
    auth: AuthConf,
    retries_done: Arc<AtomicU64>,
}

impl Fetcher {
    /// Builds a fetcher. Proxies come from the environment (`http_proxy`, `https_proxy`,
    /// `no_proxy`), as for apt.
    pub fn new(opts: FetchOptions, auth: AuthConf) -> Result<Fetcher, FetchError> {
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let downgrade = attempt
                .previous()
                .last()
                .is_some_and(|p| p.scheme() == "https")
                && attempt.url().scheme() != "https";
            if downgrade {
                attempt.error("redirect from https to a non-https URL refused")
            } else if attempt.previous().len() >= 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("pinlock/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .timeout(opts.total_timeout)
            .redirect(policy)
            .build()
            .map_err(|e| FetchError::Network {
                url: String::new(),
                reason: format!("cannot build HTTP client: {e}"),
                attempts: 0,
            })?;
        Ok(Fetcher {
            client,
            opts,
            auth,
            retries_done: Arc::default(),
        })
    }

    /// Fetches `url`. With `cond`, sends a conditional request and may return
    /// [`Fetched::NotModified`]. With `max_size`, stops reading past that many bytes and fails.
    pub async fn get(
        &self,
        url: &str,
        cond: Option<&Validators>,
        max_size: Option<u64>,
    ) -> Result<Fetched, FetchError> {
        if url.starts_with("http://") || url.starts_with("https://") {
            match self.get_http(url, cond, max_size, None).await? {
                Attempt::NotModified => Ok(Fetched::NotModified),
                Attempt::Body { bytes, validators } => Ok(Fetched::Body { bytes, validators }),
                Attempt::Streamed | Attempt::Hangup => unreachable!("not streaming"),
            }
        } else if let Some(path) = url.strip_prefix("file://") {
            read_local(PathBuf::from(path), max_size)
        } else if url.contains("://") {
            Err(FetchError::Scheme {
                url: redact_uri(url),
            })
        } else {
            read_local(PathBuf::from(url), max_size)
        }
    }

    /// Fetches `url` like [`Fetcher::get`] (same errors, retries and `max_size` limit), but
    /// sends the body to `tx` as it arrives instead of collecting it: a [`BodyChunk::Start`]
    /// at the start of every attempt, then the data. Returns `Ok(true)` when the whole body was
    /// sent, `Ok(false)` when the receiver hung up (reading stopped).
    pub async fn stream(
        &self,
        url: &str,
        max_size: Option<u64>,
        tx: &tokio::sync::mpsc::Sender<BodyChunk>,
    ) -> Result<bool, FetchError> {
        let local = if url.starts_with("http://") || url.starts_with("https://") {
            return match self.get_http(url, None, max_size, Some(tx)).await? {
                Attempt::Streamed => Ok(true),
                Attempt::Hangup => Ok(false),
                Attempt::NotModified | Attempt::Body { .. } => unreachable!("streaming"),
            };
        } else if let Some(path) = url.strip_prefix("file://") {
            PathBuf::from(path)
        } else if url.contains("://") {
            return Err(FetchError::Scheme {
                url: redact_uri(url),
            });
        } else {
            PathBuf::from(url)
        };
        stream_local(local, max_size, tx).await
    }

    async fn get_http(
        &self,
        url: &str,
        cond: Option<&Validators>,
        max_size: Option<u64>,
        tx: Option<&tokio::sync::mpsc::Sender<BodyChunk>>,
    ) -> Result<Attempt, FetchError> {
        let shown = redact_uri(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .try_once(url, &shown, cond, max_size, attempt, tx)
                .await;
            let retry = match &result {
                Err(FetchError::Status { status, .. }) => *status >= 500 || *status == 429,
                Err(FetchError::Network { .. }) | Err(FetchError::Truncated { .. }) => true,
                _ => false,
            };
            if !retry || attempt > self.opts.retries {
                return result;
            }
            self.retries_done.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.opts.backoff * 2u32.pow(attempt - 1)).await;
        }
    }

    async fn try_once(
        &self,
        url: &str,
        shown: &str,
        cond: Option<&Validators>,
        max_size: Option<u64>,
        attempts: u32,
        tx: Option<&tokio::sync::mpsc::Sender<BodyChunk>>,
    ) -> Result<Attempt, FetchError> {
        let net = |e: reqwest::Error| FetchError::Network {
            url: shown.to_string(),
            reason: describe(&e),
            attempts,
        };
        let (clean_url, userinfo) = split_userinfo(url);
        let mut req = self.client.get(&clean_url);
        if let Some((user, pass)) = userinfo.or_else(|| self.auth.lookup(&clean_url)) {
            req = req.basic_auth(user, Some(pass));
        }
        if let Some(v) = cond {
            if let Some(e) = &v.etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, e);
            }
            if let Some(m) = &v.last_modified {
                req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
            }
        }
        let resp = req.send().await.map_err(net)?;
        let status = resp.status().as_u16();
        match status {
            304 if cond.is_some() => return Ok(Attempt::NotModified),
            404 | 410 => {
                return Err(FetchError::NotFound {
                    url: shown.to_string(),
                })
            }
            200..=299 => {}
            300..=399 => {
                // reqwest follows http(s) redirects itself; what is left was refused
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map_or_else(|| "(no Location)".to_string(), redact_uri);
                return Err(FetchError::Redirect {
                    url: shown.to_string(),
                    location,
                });
            }
            _ => {
                return Err(FetchError::Status {
                    url: shown.to_string(),
                    status,
                    attempts,
                })
            }
        }
        let header = |h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let announced = resp.content_length();
        if let (Some(limit), Some(len)) = (max_size, announced) {
            if len > limit {
                return Err(FetchError::TooLarge {
                    url: shown.to_string(),
                    limit,
                });
            }
        }
        if let Some(tx) = tx {
            if tx.send(BodyChunk::Start).await.is_err() {
                return Ok(Attempt::Hangup);
            }
        }
        let mut bytes = Vec::with_capacity(if tx.is_some() {
            0
        } else {
            announced.or(max_size).unwrap_or(0).min(1 << 28) as usize
        });
        let mut got = 0u64;
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(net)?;
            if let Some(limit) = max_size {
                if got + chunk.len() as u64 > limit {
                    return Err(FetchError::TooLarge {
                        url: shown.to_string(),
                        limit,
                    });
                }
            }
            got += chunk.len() as u64;
            match tx {
                Some(tx) => {
                    if tx.send(BodyChunk::Data(chunk.to_vec())).await.is_err() {
                        return Ok(Attempt::Hangup);
                    }
                }
                None => bytes.extend_from_slice(&chunk),
            }
        }
        if let Some(len) = announced {
            if got < len {
                return Err(FetchError::Truncated {
                    url: shown.to_string(),
                    got,
                    expected: len,
                });
            }
        }
        Ok(match tx {
            Some(_) => Attempt::Streamed,
            None => Attempt::Body { bytes, validators },
        })
    }
}

/// [`Fetcher::stream`] for a local file: read in chunks on a blocking thread.
async fn stream_local(
    path: PathBuf,
    max_size: Option<u64>,
    tx: &tokio::sync::mpsc::Sender<BodyChunk>,
) -> Result<bool, FetchError> {
    use std::io::Read;
    let io = |path: &PathBuf, source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            FetchError::NotFound {
                url: path.display().to_string(),
            }
        } else {
            FetchError::Io {
                path: path.clone(),
                source,
            }
        }
    };
    let mut file = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
    if tx.send(BodyChunk::Start).await.is_err() {
        return Ok(false);
    }
    let mut got = 0u64;
    loop {
        let (f, read) = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; LOCAL_CHUNK];
            let r = file.read(&mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            (file, r)
        })
        .await
        .expect("file reader panicked");
        file = f;
        let buf = read.map_err(|e| io(&path, e))?;
        if buf.is_empty() {
            return Ok(true);
        }
        got += buf.len() as u64;
        if let Some(limit) = max_size {
            if got > limit {
                return Err(FetchError::TooLarge {
                    url: path.display().to_string(),
                    limit,
                });
            }
        }
        if tx.send(BodyChunk::Data(buf)).await.is_err() {
            return Ok(false);
        }
    }
}

fn read_local(path: PathBuf, max_size: Option<u64>) -> Result<Fetched, FetchError> {
    match std::fs::read(&path) {
        Ok(bytes) => {
            if let Some(limit) = max_size {
                if bytes.len() as u64 > limit {
                    return Err(FetchError::TooLarge {
                        url: path.display().to_string(),
                        limit,
                    });
                }
            }
            Ok(Fetched::Body {
                bytes,
                validators: Validators::default(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound {
            url: path.display().to_string(),
        }),
        Err(source) => Err(FetchError::Io { path, source }),
    }
}

/// Splits `scheme://user:pass@host/...` into the URL without userinfo and the credentials.
fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    if let Some((scheme, rest)) = url.split_once("://") {
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            let info = &rest[..at];
            let (u, p) = info.split_once(':').unwrap_or((info, ""));
            return (
                format!("{scheme}://{}", &rest[at + 1..]),
                Some((u.to_string(), p.to_string())),
            );
        }
    }
    (url.to_string(), None)
}

/// A short description of a connection failure, in words (`connection refused`, `host name
/// not found`), instead of the HTTP client's chain of internal errors. `None` when it is not
/// one of the usual causes.
fn describe_connect(e: &reqwest::Error) -> Option<String> {
    let mut texts = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            let words = match io.kind() {
                K::ConnectionRefused => Some("connection refused"),
                K::TimedOut => Some("connection timed out"),
                K::ConnectionReset | K::ConnectionAborted => Some("connection reset"),
                K::HostUnreachable | K::NetworkUnreachable => Some("host unreachable"),
                K::AddrNotAvailable => Some("address not available"),
                _ => None,
            };
            if let Some(w) = words {
                return Some(format!("cannot connect: {w}"));
            }
        }
        texts.push(s.to_string().to_lowercase());
        src = s.source();
    }
    let all = texts.join(" ");
    if all.contains("dns error") || all.contains("lookup address") {
        Some("cannot connect: host name not found (DNS)".into())
    } else if all.contains("certificate") || all.contains("tls") {
        Some("cannot connect: TLS handshake failed (certificate not trusted?)".into())
    } else {
        None
    }
}

/// A one-line description of a reqwest error without its URL (which could carry credentials).
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() && !e.is_timeout() {
        if let Some(short) = describe_connect(e) {
            return short;
        }
    }
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_redirect() {
        "redirect refused".to_string()
    } else if e.is_body() || e.is_decode() {
        "connection broken while reading the body".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let text = s.to_string();
        if !text.contains("://") && !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_split_off() {
        assert_eq!(
            split_userinfo("https://u:p@h.example/x"),
            (
                "https://h.example/x".to_string(),
                Some(("u".into(), "p".into()))
            )
        );
        assert_eq!(split_userinfo("https://h.example/a@b").1, None);
    }

    #[tokio::test]
    async fn local_files_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        let f = Fetcher::new(FetchOptions::default(), AuthConf::default()).unwrap();
        let url = format!("file://{}", p.display());
        match f.get(&url, None, None).await.unwrap() {
            Fetched::Body { bytes, .. } => assert_eq!(bytes, b"hello"),
            Fetched::NotModified => panic!("unexpected 304"),
        }
        assert!(matches!(
            f.get(&url, None, Some(4)).await,
            Err(FetchError::TooLarge { limit: 4, .. })
        ));
        let missing = dir.path().join("nope");
        assert!(f
            .get(missing.to_str().unwrap(), None, None)
            .await
            .unwrap_err()
            .is_not_found());
        assert!(matches!(
            f.get("ftp://x/y", None, None).await,
            Err(FetchError::Scheme { .. })
        ));
    }
}
