//! [`Server`]: a real HTTP/1.1 server on `127.0.0.1:<free port>` inside the test process, serving a
//! directory, with a request log, conditional GET and runtime fault injection ([`Rule`], [`Fault`]).
//!
//! Behaviour as a plain static server: `GET`/`HEAD` of files below the root (percent-decoded
//! path, query ignored, `..` refused), keep-alive and pipelining, `ETag` and `Last-Modified`
//! headers, `304 Not Modified` for a matching `If-None-Match` or an `If-Modified-Since` not older
//! than the file, `404` for missing files and directories, no `Range` support (always the whole
//! file). Dropping the server stops the accept loop and joins every connection thread.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The decoded path, without query (e.g. `/dists/buster/InRelease`).
    pub path: String,
    /// The status sent (0 when the connection was reset before a status line).
    pub status: u16,
    /// The `If-None-Match` header, if sent.
    pub if_none_match: Option<String>,
    /// The `If-Modified-Since` header, if sent.
    pub if_modified_since: Option<String>,
    /// The `Authorization` header, if sent.
    pub authorization: Option<String>,
}

/// Something to do instead of (or to) a normal response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a short text body.
    Status(u16),
    /// Send the headers and the first `n` body bytes, then reset the connection (RST).
    ResetAfter(usize),
    /// Serve only the first `n` bytes, with a matching (honest) Content-Length.
    Truncate(usize),
    /// Send this Content-Length but the real body, then close the connection.
    ContentLength(u64),
    /// Wait before sending anything.
    StallBefore(Duration),
    /// Send the headers and `after` body bytes, wait, then send the rest.
    StallMidBody {
        /// Body bytes sent before the pause.
        after: usize,
        /// Length of the pause.
        pause: Duration,
    },
    /// `302 Found` with this `Location` (a path like `/x` or an absolute URL, e.g. `file:///etc/passwd`).
    Redirect(String),
    /// `302 Found` pointing back at the requested path, forever.
    RedirectLoop,
    /// Serve the file followed by these extra bytes (Content-Length counts them).
    ExtraBytes(Vec<u8>),
    /// Serve these bytes instead of the file (status 200).
    Body(Vec<u8>),
}

/// Which paths a [`Rule`] applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// The decoded request path equals this (e.g. `/dists/buster/InRelease`).
    Exact(String),
    /// The decoded request path ends with this (e.g. `Packages.xz`).
    Suffix(String),
}

impl PathMatch {
    fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(p) => path == p,
            PathMatch::Suffix(s) => path.ends_with(s.as_str()),
        }
    }
}

/// A fault injection rule: apply `fault` to matching requests, for the next `times` of them
/// (or forever), then behave normally. The first matching rule wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Which requests.
    pub matcher: PathMatch,
    /// What to do.
    pub fault: Fault,
    /// How many more matching requests get the fault; `None` = all of them.
    pub times: Option<usize>,
}

impl Rule {
    /// A rule for one exact path, active forever.
    pub fn exact(path: impl Into<String>, fault: Fault) -> Self {
        Rule {
            matcher: PathMatch::Exact(path.into()),
            fault,
            times: None,
        }
    }
    /// A rule for every path ending with `suffix`, active forever.
    pub fn suffix(suffix: impl Into<String>, fault: Fault) -> Self {
        Rule {
            matcher: PathMatch::Suffix(suffix.into()),
            fault,
            times: None,
        }
    }
    /// Limits the rule to the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }
}

#[derive(Default)]
struct State {
    log: Vec<RequestRecord>,
    rules: Vec<Rule>,
    auth: Option<String>,
}

/// A running server; see the module docs. Stops on drop.
pub struct Server {
    addr: SocketAddr,
    root: Arc<Mutex<PathBuf>>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts serving `root` on 127.0.0.1 on a free port. Panics if no socket can be bound.
    pub fn serve(root: impl AsRef<Path>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let root = Arc::new(Mutex::new(root.as_ref().to_path_buf()));
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, rt) = (state.clone(), stop.clone(), root.clone());
        let accept = std::thread::Builder::new()
            .name(format!("test-http-{}", addr.port()))
            .spawn(move || accept_loop(listener, rt, st, sp))
            .expect("spawn server thread");
        Server {
            addr,
            root,
            state,
            stop,
            accept: Some(accept),
        }
    }

    /// The base URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The directory being served.
    pub fn root(&self) -> PathBuf {
        self.root.lock().unwrap().clone()
    }

    /// Serves `root` from now on, at the same URL (e.g. a newer snapshot of a repository).
    /// Requests already being answered finish with the old directory.
    pub fn set_root(&self, root: impl AsRef<Path>) {
        *self.root.lock().unwrap() = root.as_ref().to_path_buf();
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.lock().unwrap().log.clone()
    }

    /// Number of requests per path so far.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.state.lock().unwrap().log {
            *m.entry(r.path.clone()).or_insert(0) += 1;
        }
        m
    }

    /// Number of requests for exactly this path so far.
    pub fn count(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// Adds a fault rule (after the existing ones).
    pub fn add_rule(&self, rule: Rule) {
        self.state.lock().unwrap().rules.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_rules(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Requires HTTP Basic auth with these credentials for every request (401 otherwise);
    /// `None` turns the requirement off.
    pub fn require_basic_auth(&self, creds: Option<(&str, &str)>) {
        self.state.lock().unwrap().auth =
            creds.map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes())));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn accept_loop(
    listener: TcpListener,
    root: Arc<Mutex<PathBuf>>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
) {
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (r, st, sp) = (root.clone(), state.clone(), stop.clone());
                if let Ok(h) = std::thread::Builder::new()
                    .name("test-http-conn".into())
                    .spawn(move || connection(stream, &r, &st, &sp))
                {
                    conns.push(h);
                }
                conns.retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    for h in conns {
        let _ = h.join();
    }
}

/// Sleeps up to `d`, returning early (false) when the server is stopping.
fn pause(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10).min(end - Instant::now()));
    }
    true
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    http10: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// Reads one request head; `None` on EOF, error, or when the server stops.
fn read_request(r: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Request> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        match r.read_until(b'\n', &mut cur) {
            Ok(0) => return None,
            Ok(_) => {
                if !cur.ends_with(b"\n") {
                    continue;
                }
                let line = String::from_utf8_lossy(&cur).trim_end().to_string();
                cur.clear();
                if line.is_empty() {
                    if lines.is_empty() {
                        continue;
                    }
                    break;
                }
                lines.push(line);
                if lines.len() > 100 {
                    return None;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return None,
        }
    }
    let mut first = lines[0].split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let http10 = first.next() == Some("HTTP/1.0");
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let raw_path = target.split(['?', '#']).next().unwrap_or("/");
    // absolute-form (proxy style) request targets: keep only the path
    let raw_path = match raw_path.strip_prefix("http://") {
        Some(rest) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => raw_path,
    };
    Some(Request {
        method,
        path: percent_decode(raw_path),
        headers,
        http10,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn connection(stream: TcpStream, root: &Mutex<PathBuf>, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader, stop) {
        let dir = root.lock().unwrap().clone();
        match respond(&req, &mut writer, &dir, state, stop) {
            // closing every descriptor of a socket with SO_LINGER 0 sends RST
            Next::Reset => return,
            Next::Close => break,
            Next::Keep => {}
        }
        let close = req.header("Connection");
        if req.http10 || close.is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            break;
        }
    }
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Both);
}

/// What to send, before faults that act on the wire are applied.
struct Plan {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn text(status: u16) -> Plan {
    Plan {
        status,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: format!("{status} {}\n", reason(status)).into_bytes(),
    }
}

fn file_plan(req: &Request, root: &Path) -> Plan {
    if !matches!(req.method.as_str(), "GET" | "HEAD") {
        return text(405);
    }
    if req.path.split('/').any(|c| c == "..") || !req.path.starts_with('/') {
        return text(403);
    }
    let p = root.join(req.path.trim_start_matches('/'));
    let meta = match std::fs::metadata(&p) {
        Ok(m) if m.is_file() => m,
        _ => return text(404),
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    let etag = format!("\"{:x}-{:x}\"", meta.len(), mtime.as_nanos());
    let last_mod = crate::date::format_http(mtime.as_secs() as i64);
    let mut headers = vec![
        ("ETag".to_string(), etag.clone()),
        ("Last-Modified".to_string(), last_mod),
        (
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        ),
    ];
    let not_modified = match (req.header("If-None-Match"), req.header("If-Modified-Since")) {
        (Some(inm), _) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        (None, Some(ims)) => {
            crate::date::parse_rfc2822(&ims).is_some_and(|t| t >= mtime.as_secs() as i64)
        }
        _ => false,
    };
    if not_modified {
        headers.retain(|(k, _)| k != "Content-Type");
        return Plan {
            status: 304,
            headers,
            body: Vec::new(),
        };
    }
    match std::fs::read(&p) {
        Ok(body) => Plan {
            status: 200,
            headers,
            body,
        },
        Err(_) => text(500),
    }
}

/// Takes the fault that applies to `path`, consuming one use of a counted rule.
fn take_fault(state: &Mutex<State>, path: &str) -> Option<Fault> {
    let mut st = state.lock().unwrap();
    let i = st
        .rules
        .iter()
        .position(|r| r.matcher.matches(path) && r.times != Some(0))?;
    let rule = &mut st.rules[i];
    if let Some(n) = rule.times.as_mut() {
        *n -= 1;
    }
    Some(rule.fault.clone())
}

/// What to do with the connection after a response.
enum Next {
    Keep,
    Close,
    Reset,
}

/// Sends the response; returns what to do with the connection.
fn respond(
    req: &Request,
    w: &mut TcpStream,
    root: &Path,
    state: &Mutex<State>,
    stop: &AtomicBool,
) -> Next {
    let auth_required = state.lock().unwrap().auth.clone();
    let authorization = req.header("Authorization");
    let mut record = RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        status: 0,
        if_none_match: req.header("If-None-Match"),
        if_modified_since: req.header("If-Modified-Since"),
        authorization: authorization.clone(),
    };
    let fault = if auth_required.is_some() && authorization != auth_required {
        None
    } else {
        take_fault(state, &req.path)
    };
    let mut plan = if auth_required.is_some() && authorization != auth_required {
        let mut p = text(401);
        p.headers.push((
            "WWW-Authenticate".into(),
            "Basic realm=\"test repository\"".into(),
        ));
        p
    } else {
        match &fault {
            Some(Fault::Status(s)) => text(*s),
            Some(Fault::Redirect(to)) => redirect(to),
            Some(Fault::RedirectLoop) => redirect(&req.path),
            Some(Fault::Body(b)) => Plan {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: b.clone(),
            },
            _ => file_plan(req, root),
        }
    };
    let mut content_length = plan.body.len() as u64;
    let mut close_after = false;
    let mut reset_after = None;
    let mut stall_mid = None;
    if plan.status == 200 {
        match &fault {
            Some(Fault::Truncate(n)) => {
                plan.body.truncate(*n);
                content_length = plan.body.len() as u64;
            }
            Some(Fault::ExtraBytes(extra)) => {
                plan.body.extend_from_slice(extra);
                content_length = plan.body.len() as u64;
            }
            Some(Fault::ContentLength(n)) => {
                content_length = *n;
                close_after = true;
            }
            Some(Fault::ResetAfter(n)) => reset_after = Some(*n),
            Some(Fault::StallMidBody { after, pause }) => stall_mid = Some((*after, *pause)),
            _ => {}
        }
    }
    if let Some(Fault::StallBefore(d)) = &fault {
        if !pause(*d, stop) {
            return Next::Close;
        }
    }
    record.status = plan.status;
    if reset_after.is_some() {
        record.status = 0;
    }
    state.lock().unwrap().log.push(record);

    let mut head = format!("HTTP/1.1 {} {}\r\n", plan.status, reason(plan.status));
    for (k, v) in &plan.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if plan.status != 304 {
        head.push_str(&format!("Content-Length: {content_length}\r\n"));
    }
    if close_after {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    if w.write_all(head.as_bytes()).is_err() {
        return Next::Close;
    }
    let body: &[u8] = if req.method == "HEAD" || plan.status == 304 {
        &[]
    } else {
        &plan.body
    };
    if let Some(n) = reset_after {
        let _ = w.write_all(&body[..n.min(body.len())]);
        let _ = w.flush();
        set_linger_zero(w);
        return Next::Reset;
    }
    if let Some((after, d)) = stall_mid {
        let first = after.min(body.len());
        if w.write_all(&body[..first]).is_err() || w.flush().is_err() || !pause(d, stop) {
            return Next::Close;
        }
        if w.write_all(&body[first..]).is_err() {
            return Next::Close;
        }
    } else if w.write_all(body).is_err() {
        return Next::Close;
    }
    let _ = w.flush();
    if close_after {
        Next::Close
    } else {
        Next::Keep
    }
}

fn redirect(to: &str) -> Plan {
    let mut p = text(302);
    p.headers.push(("Location".into(), to.to_string()));
    p
}

/// Sets SO_LINGER 0 so that closing the socket sends a reset (RST), not an orderly FIN.
fn set_linger_zero(s: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        #[repr(C)]
        struct Linger {
            l_onoff: i32,
            l_linger: i32,
        }
        extern "C" {
            fn setsockopt(fd: i32, level: i32, name: i32, val: *const Linger, len: u32) -> i32;
        }
        const SOL_SOCKET: i32 = 1;
        const SO_LINGER: i32 = 13;
        let l = Linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: fd is a valid open socket owned by `s`; the option struct outlives the call.
        unsafe {
            setsockopt(
                s.as_raw_fd(),
                SOL_SOCKET,
                SO_LINGER,
                &l,
                std::mem::size_of::<Linger>() as u32,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_examples() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%7eb%7E"), "/a~b~");
        assert_eq!(percent_decode("/a%"), "/a%");
        assert_eq!(percent_decode("/a%zz"), "/a%zz");
    }
}
