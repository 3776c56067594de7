//! Self-tests of the loopback HTTP server: plain serving, conditional GET, request log, every
//! fault kind, Basic auth, and clean shutdown. Uses a raw std TcpStream client so that what is
//! checked is the bytes on the wire.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use pinlock_tests::{Fault, Rule, Server};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with `Connection: close` and reads the raw response until EOF.
fn raw(srv: &Server, path: &str, extra_headers: &[(&str, &str)]) -> std::io::Result<Vec<u8>> {
    let addr = srv.url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

fn parse(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete response head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

fn get(srv: &Server, path: &str, h: &[(&str, &str)]) -> Resp {
    parse(&raw(srv, path, h).expect("request"))
}

fn root_with_file() -> (tempfile::TempDir, Vec<u8>) {
    let d = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir_all(d.path().join("dists/x")).unwrap();
    std::fs::write(d.path().join("dists/x/file~1.bin"), &body).unwrap();
    (d, body)
}

const P: &str = "/dists/x/file~1.bin";

#[test]
fn serves_files_with_validators_and_logs_requests() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    assert!(srv.url().starts_with("http://127.0.0.1:"));
    // percent-encoded path, as apt sends `~`
    let r = get(&srv, "/dists/x/file%7e1.bin?ignored=1", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);
    assert_eq!(r.header("Content-Length"), Some("5000"));
    let etag = r.header("ETag").expect("ETag").to_string();
    let lm = r
        .header("Last-Modified")
        .expect("Last-Modified")
        .to_string();
    assert!(lm.ends_with(" GMT"), "{lm}");

    let r = get(&srv, P, &[("If-None-Match", &etag)]);
    assert_eq!((r.status, r.body.len()), (304, 0));
    let r = get(&srv, P, &[("If-Modified-Since", &lm)]);
    assert_eq!(r.status, 304);
    let r = get(
        &srv,
        P,
        &[("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
    );
    assert_eq!(r.status, 200);
    let r = get(&srv, P, &[("If-None-Match", "\"other\"")]);
    assert_eq!(r.status, 200);

    assert_eq!(get(&srv, "/dists/x/missing", &[]).status, 404);
    assert_eq!(
        get(&srv, "/dists/x", &[]).status,
        404,
        "directories are not listed"
    );
    assert_eq!(get(&srv, "/dists/../../etc/passwd", &[]).status, 403);

    let log = srv.requests();
    assert_eq!(log.len(), 8);
    assert_eq!(log[0].path, P);
    assert_eq!(log[1].if_none_match.as_deref(), Some(etag.as_str()));
    assert_eq!(log[2].if_modified_since.as_deref(), Some(lm.as_str()));
    assert_eq!(log[1].status, 304);
    assert_eq!(srv.count(P), 5);
    assert_eq!(srv.counts().get("/dists/x/missing"), Some(&1));
    srv.clear_log();
    assert!(srv.requests().is_empty());
}

#[test]
fn keep_alive_serves_pipelined_requests_on_one_connection() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    let mut s = TcpStream::connect(srv.url().trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let one = format!("GET {P} HTTP/1.1\r\nHost: t\r\n\r\n");
    let last = format!("GET {P} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(format!("{one}{one}{last}").as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let n = out.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count();
    assert_eq!(n, 3);
    assert!(out.len() > 3 * body.len());
    assert_eq!(srv.count(P), 3);
}

#[test]
fn status_fault_applies_to_next_k_requests_then_stops() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    srv.add_rule(Rule::suffix("1.bin", Fault::Status(503)).times(2));
    assert_eq!(get(&srv, P, &[]).status, 503);
    assert_eq!(get(&srv, P, &[]).status, 503);
    let r = get(&srv, P, &[]);
    assert_eq!((r.status, r.body), (200, body));
    srv.add_rule(Rule::exact(P, Fault::Status(500)));
    for _ in 0..3 {
        assert_eq!(get(&srv, P, &[]).status, 500);
    }
    srv.clear_rules();
    assert_eq!(get(&srv, P, &[]).status, 200);
    let statuses: Vec<u16> = srv.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200, 500, 500, 500, 200]);
}

#[test]
fn body_faults_truncate_lie_extend_replace() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());

    srv.add_rule(Rule::exact(P, Fault::Truncate(100)).times(1));
    let r = get(&srv, P, &[]);
    assert_eq!(r.header("Content-Length"), Some("100"));
    assert_eq!(r.body, body[..100]);

    srv.add_rule(Rule::exact(P, Fault::ContentLength(9000)).times(1));
    let r = get(&srv, P, &[]);
    assert_eq!(r.header("Content-Length"), Some("9000"));
    assert_eq!(
        r.body, body,
        "the real body follows the lying header, then EOF"
    );

    srv.add_rule(Rule::exact(P, Fault::ExtraBytes(b"JUNK".to_vec())).times(1));
    let r = get(&srv, P, &[]);
    assert_eq!(r.header("Content-Length"), Some("5004"));
    assert_eq!(&r.body[..5000], &body[..]);
    assert_eq!(&r.body[5000..], b"JUNK");

    srv.add_rule(Rule::exact(P, Fault::Body(b"other".to_vec())).times(1));
    assert_eq!(get(&srv, P, &[]).body, b"other");
    assert_eq!(get(&srv, P, &[]).body, body, "each rule was used once");
}

#[test]
fn reset_after_n_bytes_is_a_connection_reset() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    srv.add_rule(Rule::exact(P, Fault::ResetAfter(10)));
    let res = raw(&srv, P, &[]);
    match res {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        Ok(bytes) => {
            // the RST may arrive after the client read everything that was sent
            let r = parse(&bytes);
            assert_eq!(r.header("Content-Length"), Some("5000"));
            assert!(r.body.len() <= 10, "got {} body bytes", r.body.len());
            assert_ne!(r.body.len(), body.len());
        }
    }
    assert_eq!(srv.requests()[0].status, 0, "a reset is logged as status 0");
}

#[test]
fn stalls_delay_the_response() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    srv.add_rule(Rule::exact(P, Fault::StallBefore(Duration::from_millis(300))).times(1));
    let t = Instant::now();
    assert_eq!(get(&srv, P, &[]).body, body);
    assert!(t.elapsed() >= Duration::from_millis(300));
    srv.add_rule(
        Rule::exact(
            P,
            Fault::StallMidBody {
                after: 1000,
                pause: Duration::from_millis(300),
            },
        )
        .times(1),
    );
    let t = Instant::now();
    assert_eq!(get(&srv, P, &[]).body, body);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn redirects_and_loops() {
    let (root, _) = root_with_file();
    let srv = Server::serve(root.path());
    srv.add_rule(Rule::exact("/a", Fault::Redirect(P.into())));
    srv.add_rule(Rule::exact(
        "/b",
        Fault::Redirect("file:///etc/passwd".into()),
    ));
    srv.add_rule(Rule::exact("/loop", Fault::RedirectLoop));
    let r = get(&srv, "/a", &[]);
    assert_eq!((r.status, r.header("Location")), (302, Some(P)));
    let r = get(&srv, "/b", &[]);
    assert_eq!(r.header("Location"), Some("file:///etc/passwd"));
    let r = get(&srv, "/loop", &[]);
    assert_eq!((r.status, r.header("Location")), (302, Some("/loop")));
}

#[test]
fn basic_auth_required_when_configured() {
    let (root, body) = root_with_file();
    let srv = Server::serve(root.path());
    srv.require_basic_auth(Some(("user", "pass")));
    let r = get(&srv, P, &[]);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").unwrap().starts_with("Basic "));
    assert_eq!(
        get(&srv, P, &[("Authorization", "Basic dXNlcjp3cm9uZw==")]).status,
        401
    );
    let r = get(&srv, P, &[("Authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!((r.status, r.body), (200, body));
    assert_eq!(
        srv.requests()[2].authorization.as_deref(),
        Some("Basic dXNlcjpwYXNz")
    );
    srv.require_basic_auth(None);
    assert_eq!(get(&srv, P, &[]).status, 200);
}

#[test]
fn drop_stops_the_server_even_with_an_idle_and_a_stalled_client() {
    let (root, _) = root_with_file();
    let srv = Server::serve(root.path());
    let addr = srv.url().trim_start_matches("http://").to_string();
    // an idle keep-alive connection and a request stalled for a minute
    let _idle = TcpStream::connect(&addr).unwrap();
    srv.add_rule(Rule::exact(P, Fault::StallBefore(Duration::from_secs(60))));
    let mut stalled = TcpStream::connect(&addr).unwrap();
    stalled
        .write_all(format!("GET {P} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    drop(srv);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t.elapsed()
    );
    assert!(
        TcpStream::connect(&addr).is_err(),
        "port still accepting after drop"
    );
}
