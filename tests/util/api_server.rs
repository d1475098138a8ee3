//! A QRCodePro API on loopback that follows `shared/qrcodepro-api.md`, started by
//! the tests (tiny_http): keys in several states, the documented 401/403/429
//! bodies, `X-RateLimit-*` headers on every answer with a per-key window, and the
//! misbehaviours a client must survive (flaky 500s, a slow answer, a malformed
//! body, a redirect). Every request is logged for the tests to assert on; the log
//! never prints a full key (its `Debug` redacts).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tiny_http::{Header, Response, Server};

/// How the service treats one key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyState {
    /// Works: 200 on the list endpoint; revoking turns it `Revoked`.
    Active,
    /// Valid, but its plan has no API access: 403 `forbidden`; revocable.
    Forbidden,
    /// Invalid or revoked: 401 `unauthorized`, whatever the endpoint.
    Revoked,
    /// 500 for the first N requests, then `Active`.
    Flaky(u32),
    /// 500 forever.
    Broken,
    /// Answers `Active` after this long.
    Slow(Duration),
    /// 200 with a body that is not JSON.
    Malformed,
    /// 302 to this URL.
    Redirect(String),
    /// 429 for the first N requests (with `Retry-After: 1` when `retry_after`,
    /// else only `X-RateLimit-Reset` one second ahead), then `Active`.
    Throttled { times: u32, retry_after: bool },
}

/// One request as the server saw it.
#[derive(Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query.
    pub url: String,
    /// The bearer token, if any (compare it; never print it).
    pub key: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<serde_json::Value>,
    pub status: u16,
    pub at: Instant,
}

impl std::fmt::Debug for Logged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = self
            .key
            .as_deref()
            .map(|k| format!("{}…", &k[..k.len().min(14)]));
        f.debug_struct("Logged")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("key", &key)
            .field("status", &self.status)
            .finish()
    }
}

struct Shared {
    keys: Mutex<HashMap<String, KeyState>>,
    log: Mutex<Vec<Logged>>,
    /// Per key: (end of the current window, requests in it).
    windows: Mutex<HashMap<String, (SystemTime, u32)>>,
    limit: u32,
    window: Duration,
}

pub struct ApiServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl ApiServer {
    /// The contract's Pro plan: 100 requests a minute per key.
    pub fn start() -> ApiServer {
        ApiServer::with_limit("127.0.0.1", 100, Duration::from_secs(60))
    }

    /// `limit` requests per `window` per key, on `host` (a loopback address).
    pub fn with_limit(host: &str, limit: u32, window: Duration) -> ApiServer {
        let server =
            Arc::new(Server::http(format!("{host}:0")).expect("cannot start the test API"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let shared = Arc::new(Shared {
            keys: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            windows: Mutex::new(HashMap::new()),
            limit,
            window,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..8)
            .map(|_| {
                let (server, shared, stop) = (server.clone(), shared.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok(Some(rq)) = server.recv_timeout(Duration::from_millis(50)) {
                            handle(&shared, rq);
                        }
                    }
                })
            })
            .collect();
        ApiServer {
            url: format!("http://{addr}"),
            shared,
            stop,
            threads,
        }
    }

    pub fn set(&self, key: &str, state: KeyState) {
        self.shared
            .keys
            .lock()
            .unwrap()
            .insert(key.to_string(), state);
    }

    pub fn state(&self, key: &str) -> Option<KeyState> {
        self.shared.keys.lock().unwrap().get(key).cloned()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The requests that carried this key, in order.
    pub fn requests_with(&self, key: &str) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| r.key.as_deref() == Some(key))
            .collect()
    }

    pub fn clear_log(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// A time as whole Unix seconds, rounded up: the window has surely ended then.
fn unix_ceil(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap();
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": message}}).to_string()
}

fn handle(shared: &Shared, mut rq: tiny_http::Request) {
    let at = Instant::now();
    let header = |name: &str| {
        rq.headers()
            .iter()
            .find(|h| h.field.to_string().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let authorization = header("Authorization");
    let content_type = header("Content-Type");
    let key = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_string);
    let method = rq.method().as_str().to_string();
    let url = rq.url().to_string();
    let mut raw = String::new();
    let _ = rq.as_reader().read_to_string(&mut raw);
    let body: Option<serde_json::Value> = serde_json::from_str(&raw).ok();

    let (status, text, mut headers) = answer(
        shared,
        &method,
        &url,
        key.as_deref(),
        body.as_ref(),
        &content_type,
    );
    shared.log.lock().unwrap().push(Logged {
        method,
        url,
        key,
        authorization,
        content_type,
        body,
        status,
        at,
    });
    headers.push(("Content-Type".into(), "application/json".into()));
    let mut response = Response::from_string(text).with_status_code(status);
    for (k, v) in headers {
        response.add_header(Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
    }
    let _ = rq.respond(response);
}

type Answer = (u16, String, Vec<(String, String)>);

fn answer(
    shared: &Shared,
    method: &str,
    url: &str,
    key: Option<&str>,
    body: Option<&serde_json::Value>,
    content_type: &Option<String>,
) -> Answer {
    let unauthorized = || {
        (
            401,
            error_body("unauthorized", "Invalid or missing API key"),
            vec![],
        )
    };
    let Some(key) = key else {
        return unauthorized();
    };
    let endpoint = match (method, url) {
        ("GET", u) if u.starts_with("/v1/qrcodes") => "list",
        ("POST", "/v1/api_keys/revoke") => "revoke",
        _ => return (404, error_body("not_found", "No such endpoint"), vec![]),
    };
    if content_type.as_deref() != Some("application/json") {
        return (
            415,
            error_body("unsupported_media_type", "Send application/json"),
            vec![],
        );
    }

    // The per-key window, on every answer.
    let now = SystemTime::now();
    let (end, used) = {
        let mut w = shared.windows.lock().unwrap();
        let e = w.entry(key.to_string()).or_insert((now + shared.window, 0));
        if now >= e.0 {
            *e = (now + shared.window, 0);
        }
        e.1 += 1;
        *e
    };
    let mut headers = vec![
        ("X-RateLimit-Limit".to_string(), shared.limit.to_string()),
        (
            "X-RateLimit-Remaining".to_string(),
            shared.limit.saturating_sub(used).to_string(),
        ),
        ("X-RateLimit-Reset".to_string(), unix_ceil(end).to_string()),
    ];
    let too_many = |headers: Vec<(String, String)>| {
        (
            429,
            error_body(
                "rate_limit_exceeded",
                "Rate limit exceeded. Please retry after 60 seconds.",
            ),
            headers,
        )
    };
    if used > shared.limit {
        return too_many(headers);
    }

    let mut keys = shared.keys.lock().unwrap();
    let state = keys.get(key).cloned();
    let state = match state {
        None | Some(KeyState::Revoked) => return unauthorized(),
        Some(KeyState::Flaky(n)) if n > 0 => {
            keys.insert(key.to_string(), KeyState::Flaky(n - 1));
            return (
                500,
                error_body("internal_error", "Something went wrong"),
                headers,
            );
        }
        Some(KeyState::Flaky(_)) => KeyState::Active,
        Some(KeyState::Broken) => {
            return (
                500,
                error_body("internal_error", "Something went wrong"),
                headers,
            );
        }
        Some(KeyState::Throttled { times, retry_after }) if times > 0 => {
            keys.insert(
                key.to_string(),
                KeyState::Throttled {
                    times: times - 1,
                    retry_after,
                },
            );
            headers.retain(|(k, _)| k != "X-RateLimit-Reset" && k != "X-RateLimit-Remaining");
            headers.push(("X-RateLimit-Remaining".into(), "0".into()));
            let reset = unix_now() + Duration::from_secs(1);
            headers.push(("X-RateLimit-Reset".into(), reset.as_secs().to_string()));
            if retry_after {
                headers.push(("Retry-After".into(), "1".into()));
            }
            return too_many(headers);
        }
        Some(KeyState::Throttled { .. }) => KeyState::Active,
        Some(KeyState::Slow(d)) => {
            drop(keys);
            std::thread::sleep(d);
            keys = shared.keys.lock().unwrap();
            KeyState::Active
        }
        Some(KeyState::Malformed) => {
            return (
                200,
                "<html><body>Service temporarily unavailable</body></html>".into(),
                headers,
            );
        }
        Some(KeyState::Redirect(to)) => {
            headers.push(("Location".into(), to));
            return (302, String::new(), headers);
        }
        Some(s) => s,
    };
    match (endpoint, state) {
        ("list", KeyState::Forbidden) => (
            403,
            error_body("forbidden", "API access requires an Enterprise plan"),
            headers,
        ),
        ("list", _) => (200, r#"{"data":[],"has_more":false}"#.into(), headers),
        ("revoke", _) => {
            let valid = body.is_some_and(|b| {
                b["reason"] == "leaked" && b["source"] == "qrcp-scan" && b["location"].is_string()
            });
            if !valid {
                return (
                    400,
                    error_body("invalid_request", "Expected reason, source, location"),
                    headers,
                );
            }
            keys.insert(key.to_string(), KeyState::Revoked);
            let revoked_at = unix_now().as_secs();
            (
                200,
                serde_json::json!({"revoked": true, "key_id": format!("key_{}", &key[10..14]), "revoked_at": revoked_at.to_string()})
                    .to_string(),
                headers,
            )
        }
        _ => unreachable!(),
    }
}
